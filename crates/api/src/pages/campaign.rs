//! `/campaigns/{slug}`: the story, progress, the funding plan as the waterfall it is, the donate
//! form, the donor wall, news, comments, and the subscribe and volunteer forms. Built from the
//! same domain calls as the API.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::comment::{self, Comment, CommentStatus};
use campaign_news::pictures::{Picture, PictureRole};
use campaign_news::post::{self, Post};
use chrono::Utc;
use demeu_db::page::Page;
use demeu_db::utc;
use donations::campaign::{Audience, CampaignStatus, Progress};
use donations::money::Money;
use donations::plan::Tier;
use donations::pledge::ProviderKind;
use donations::pledge_store::{self, PledgeRecord};
use maud::{html, Markup};
use serde::Deserialize;

use super::compression::{mark_gzip, Encoded};
use super::forms::{FieldErrors, Forms, GiveValues};
use super::layout::{document, respond_bytes, trusted, Caching, Frame, Share};
use super::{outcome, pictures, qr};
use crate::format::{date, money, percent, unit};
use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::state::AppState;

/// Donors shown per page of the wall.
const WALL_PAGE: i64 = 20;
/// Posts and comments shown on the page (the API pages through all of them).
const LIST: i64 = 10;

/// What the page shows, read in one pooled connection.
pub struct Loaded {
    /// Progress from the running totals.
    pub progress: Progress,
    /// A page of the donor wall.
    pub wall: Page<PledgeRecord>,
    /// The latest published posts.
    pub news: Vec<Post>,
    /// The first approved comments.
    pub comments: Vec<Comment>,
    /// The pledge a checkout came back from (`?pledge=…&checkout=cancel`): its amount is kept.
    pub returning: Option<PledgeRecord>,
    /// Its cover first, then its gallery.
    pub pictures: Vec<Picture>,
    /// Where its money went (and which lines its posts say are done).
    pub report: crate::services::expenses::Report,
    /// The foundation.
    pub site: std::sync::Arc<crate::snapshot::Site>,
}

/// The query a campaign page takes.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// The wall's cursor.
    pub wall: Option<String>,
    /// A pledge coming back from its checkout.
    pub pledge: Option<String>,
    /// `cancel` or `fail` when the checkout did not pay.
    pub checkout: Option<String>,
    /// Which form just went through: `comment`, `subscribe`, `volunteer`.
    pub sent: Option<String>,
}

/// Loads what the page of `slug` shows to the public (a draft is not found).
pub async fn load(state: &AppState, slug: String, query: &PageQuery) -> Result<Loaded, ApiError> {
    load_for(state, slug, query, Audience::Public).await
}

/// Loads what the page of `slug` shows to `audience` (staff preview drafts).
pub async fn load_for(
    state: &AppState,
    slug: String,
    query: &PageQuery,
    audience: Audience,
) -> Result<Loaded, ApiError> {
    let wall_cursor = query.wall.clone();
    let returning = match (&query.pledge, query.checkout.as_deref()) {
        (Some(id), Some("cancel" | "fail")) => id.parse::<donations::ids::PledgeId>().ok(),
        _ => None,
    };
    let site = state.snapshots.site(&state.pool).await?;
    state
        .pool
        .run(move |conn| {
            let progress = match audience {
                Audience::Public => donations::campaign::progress(conn, &slug)?,
                Audience::Staff => {
                    let campaign = donations::campaign::find_by_slug(conn, &slug)?;
                    donations::campaign::progress_of(conn, campaign)?
                }
            };
            let campaign_id = progress.campaign.id;
            let wall = pledge_store::donor_wall(conn, campaign_id, WALL_PAGE, wall_cursor.as_deref())?;
            let news = post::list_published(conn, campaign_id, LIST, None)?.items;
            let comments = comment::list(conn, Some(campaign_id), CommentStatus::Approved, LIST, None)?.items;
            let pictures = campaign_news::pictures::of_campaign(conn, campaign_id)?;
            let report = crate::services::expenses::report_of(conn, progress.campaign.clone(), progress.raised)?;
            // Only a pledge of this campaign that has not paid: anything else is ignored.
            let returning = match returning {
                Some(id) => pledge_store::find(conn, id)
                    .ok()
                    .filter(|p| p.campaign_id == campaign_id && p.display_status().as_str() != "paid"),
                None => None,
            };
            Ok::<_, ApiError>(Loaded { progress, wall, news, comments, returning, pictures, report, site })
        })
        .await
}

/// `GET /campaigns/{slug}`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let slug = slug.into_inner();
    let plain = query.wall.is_none() && query.pledge.is_none() && query.sent.is_none() && query.checkout.is_none();
    // Read before the page is built: a change landing meanwhile makes the kept page stale.
    let generation = state.snapshots.generation();
    // The campaign's own language, from what is published (no query): only a public campaign's
    // page is kept.
    let kept_lang = match plain {
        true => state.snapshots.locale_of(&state.pool, &slug).await?.map(|l| Lang::negotiate(&req, Lang::of(l))),
        false => None,
    };
    if let Some(lang) = kept_lang {
        let build = || async {
            let loaded = load(&state, slug.clone(), &query).await?;
            Ok::<_, ApiError>(Encoded::new(render_body(&state, lang, &loaded, &Forms::default())))
        };
        let page = state.pages.get_or_build(&slug, lang, generation, build).await?;
        return Ok(respond_kept(&req, &page));
    }
    let loaded = load(&state, slug.clone(), &query).await?;
    let mut forms = Forms::default();
    if let Some(pledge) = &loaded.returning {
        let presets = &loaded.progress.campaign.spec.presets;
        forms.give.values = GiveValues::amount_of(pledge.amount, presets);
        // A monthly gift that did not pay comes back monthly, as the donor chose it.
        if pledge.subscription_id.is_some() {
            forms.give.values.interval = "month".into();
        }
    }
    forms.sent = query.sent.clone();
    let lang = Lang::negotiate(&req, Lang::of(loaded.progress.campaign.spec.locale));
    let body = render_body(&state, lang, &loaded, &forms);
    // A page with someone's returning pledge or a form's outcome is theirs alone.
    let caching = if plain { Caching::Public } else { Caching::Private };
    Ok(respond_bytes(StatusCode::OK, body, caching, chosen(&req), None))
}

/// A kept page (no one's own state: public), gzip-compressed when the client takes it.
fn respond_kept(req: &HttpRequest, page: &Encoded) -> HttpResponse {
    let (body, gzip) = page.for_request(req);
    let mut res = respond_bytes(StatusCode::OK, body, Caching::Public, chosen(req), None);
    if gzip {
        mark_gzip(&mut res);
    }
    res
}

/// The page, with the forms in `forms`' state, answered at `status`.
pub fn render(
    state: &AppState,
    req: &HttpRequest,
    loaded: &Loaded,
    forms: &Forms,
    status: StatusCode,
    caching: Caching,
) -> HttpResponse {
    let lang = Lang::negotiate(req, Lang::of(loaded.progress.campaign.spec.locale));
    respond_bytes(status, render_body(state, lang, loaded, forms), caching, chosen(req), None)
}

fn render_body(state: &AppState, lang: Lang, loaded: &Loaded, forms: &Forms) -> Bytes {
    let campaign = &loaded.progress.campaign;
    let tr = Tr::new(lang);
    let path = format!("/campaigns/{}", campaign.spec.slug);
    let url = format!("{}{path}", state.settings.public_url());
    let feed = format!("{path}/news.atom");
    let cover = loaded.pictures.iter().find(|p| p.role == PictureRole::Cover);
    let image = cover
        .and_then(|c| c.share())
        .map(|v| (format!("{}{}", state.settings.public_url(), v.url()), v.width, v.height));
    let frame = Frame {
        site: Some(&loaded.site),
        tr,
        title: campaign.title(lang.locale()),
        path: &path,
        share: Some(Share { url: &url, description: campaign.summary(lang.locale()), image }),
        feed: Some(&feed),
        refresh_without_script: None,
        redirect: None,
    };
    let main = page(&tr, loaded, forms, &url, state.settings.payments.provider);
    Bytes::from(document(&frame, main).into_string())
}

fn page(tr: &Tr, loaded: &Loaded, forms: &Forms, url: &str, provider: ProviderKind) -> Markup {
    let progress = &loaded.progress;
    let campaign = &progress.campaign;
    let title = campaign.title(tr.lang.locale());
    let story = campaign.story(tr.lang.locale()).map(campaign_news::markdown::render);
    let (lang, own) = (tr.lang.locale(), campaign.spec.locale);
    let cover = loaded.pictures.iter().find(|p| p.role == PictureRole::Cover);
    let gallery: Vec<&Picture> = loaded.pictures.iter().filter(|p| p.role == PictureRole::Gallery).collect();
    let taking_gifts = campaign.status_at(Utc::now()) == CampaignStatus::Active;
    // Three parts the style sheet places: on a phone one after another (the title, the card with
    // the progress and the form, the rest) with a Give bar kept at the bottom; on a wide screen
    // the card in a column of its own that stays in view beside the story.
    html! {
        article.campaign {
            div.head {
                @if let Some(cover) = cover {
                    div.cover { (pictures::picture(cover, cover.alt(lang, own), "(min-width: 64rem) 48rem, (min-width: 46rem) 44rem, 100vw", true)) }
                }
                h1 { (title) }
                p.by { (tr.t_with("by-foundation", &[("foundation", loaded.site.identity.name(lang).to_string().into())])) }
                @if let Some(notice) = forms.notice {
                    p.alert role="status" { (tr.t(notice)) }
                }
            }
            div.donate {
                (progress_box(tr, progress, true, None))
                (give_form(tr, progress, forms, loaded.returning.as_ref(), (provider, !loaded.site.identity.privacy.is_empty())))
            }
            div.body { (body(tr, loaded, forms, url, &gallery, story.as_deref())) }
            @if taking_gifts {
                div.give-bar {
                    span { span data-live="percent" { (percent(tr.lang, progress.raised, campaign.spec.plan.goal())) } " " (tr.t("give-bar-of-goal")) }
                    a.button href="#give" { (tr.t("give-button")) }
                }
            }
        }
    }
}

/// The story and everything below it: the gallery, the plan, the wall, news, comments, the
/// subscription, the team, sharing.
fn body(tr: &Tr, loaded: &Loaded, forms: &Forms, url: &str, gallery: &[&Picture], story: Option<&str>) -> Markup {
    let progress = &loaded.progress;
    let campaign = &progress.campaign;
    let slug = &campaign.spec.slug;
    let title = campaign.title(tr.lang.locale());
    let (lang, own) = (tr.lang.locale(), campaign.spec.locale);
    html! {
            section.story aria-labelledby="story" {
                h2 #story .visually-hidden { (title) }
                @match story {
                    Some(html) => (trusted(html.to_string())),
                    None => p { (campaign.summary(tr.lang.locale())) },
                }
            }
            @if !gallery.is_empty() {
                section aria-labelledby="gallery-heading" {
                    h2 #gallery-heading { (tr.t("gallery-heading")) }
                    ul.gallery {
                        @for picture in gallery {
                            li { (pictures::picture(picture, picture.alt(lang, own), "(min-width: 46rem) 11rem, 45vw", false)) }
                        }
                    }
                }
            }
            (plan(tr, progress, Some(&loaded.report)))
            (super::report::summary(tr, &loaded.report))
            (wall(tr, progress, &loaded.wall))
            (news(tr, slug, &loaded.news))
            (comments(tr, slug, &loaded.comments, forms))
            (subscribe(tr, slug, forms))
            (volunteer(tr, slug, forms))
            (share(tr, url, slug, title))
    }
}

/// What ends an item of a progress box's line: a no-break space and a middle dot.
const SEPARATOR: &str = "\u{a0}·";

/// Raised, goal, percentage, donors and status; `live` marks it for the script's updates, and
/// `give` is where its "Give" button leads while the campaign takes gifts (none: no button).
pub fn progress_box(tr: &Tr, progress: &Progress, live: bool, give: Option<&str>) -> Markup {
    let spec = &progress.campaign.spec;
    let goal = spec.plan.goal();
    let raised = progress.raised;
    let shown_percent = percent(tr.lang, raised, goal);
    let status = progress.campaign.status_at(Utc::now());
    let events = format!("/api/v1/campaigns/{}/events", spec.slug);
    let donors_forms = donor_forms(tr);
    html! {
        section.progress aria-label=(tr.t("progress-label")) data-events=[live.then_some(events)] {
            p.raised {
                span.money data-live="raised" { (money(tr.lang, raised)) }
            }
            p { (tr.t_with("raised-of-goal", &[("raised", money(tr.lang, raised).into()), ("goal", money(tr.lang, goal).into())])) }
            progress max=(goal.minor) value=(raised.minor.clamp(0, goal.minor)) data-live="bar"
                aria-label=(tr.t("progress-label")) { (shown_percent) }
            // Each item keeps its words together and ends with its separator, so that a line
            // never begins with "·" when a phone's width wraps them.
            p.meta {
                span { span data-live="percent" { (shown_percent) } (SEPARATOR) }
                span { span data-live="donors" data-forms=(donors_forms) { (tr.t_with("donors", &[("count", progress.pledges.into())])) } (SEPARATOR) }
                @match progress.campaign.days_left(Utc::now()).filter(|_| status == CampaignStatus::Active) {
                    Some(days) => {
                        span { (status_text(tr, status, &progress.campaign)) (SEPARATOR) }
                        span.days { (tr.t_with("days-left", &[("count", days.into())])) }
                    }
                    None => span { (status_text(tr, status, &progress.campaign)) },
                }
            }
            @if let Some(href) = give.filter(|_| status == CampaignStatus::Active) {
                p { a.button href=(href) { (tr.t("embed-give")) } }
            }
        }
    }
}

/// The embed's progress, small enough for a 360 × 190 frame with its button: raised and the
/// percentage on one line, the bar, the donors; live like the page's.
pub fn progress_compact(tr: &Tr, progress: &Progress) -> Markup {
    let spec = &progress.campaign.spec;
    let (raised, goal) = (progress.raised, spec.plan.goal());
    let events = format!("/api/v1/campaigns/{}/events", spec.slug);
    html! {
        section.progress.compact aria-label=(tr.t("progress-label")) data-events=(events) {
            p {
                strong.money data-live="raised" { (money(tr.lang, raised)) }
                " / " (money(tr.lang, goal)) (SEPARATOR) " "
                span data-live="percent" { (percent(tr.lang, raised, goal)) }
            }
            progress max=(goal.minor) value=(raised.minor.clamp(0, goal.minor)) data-live="bar"
                aria-label=(tr.t("progress-label")) { (percent(tr.lang, raised, goal)) }
            p { span data-live="donors" data-forms=(donor_forms(tr)) { (tr.t_with("donors", &[("count", progress.pledges.into())])) } }
        }
    }
}

/// The donor count's forms by plural category, for the script (`#` is the number).
fn donor_forms(tr: &Tr) -> String {
    let samples: &[(&str, i64)] = match tr.lang {
        Lang::Ru => &[("one", 1), ("few", 2), ("many", 5), ("other", 5)],
        Lang::Kk | Lang::En => &[("one", 1), ("other", 2)],
    };
    let forms: serde_json::Map<String, serde_json::Value> = samples
        .iter()
        .map(|(category, n)| {
            let text = tr.t_with("donors", &[("count", (*n).into())]).replacen(&n.to_string(), "#", 1);
            ((*category).to_string(), serde_json::Value::String(text))
        })
        .collect();
    serde_json::Value::Object(forms).to_string()
}

fn status_text(tr: &Tr, status: CampaignStatus, campaign: &donations::campaign::Campaign) -> String {
    let spec = &campaign.spec;
    match status {
        CampaignStatus::Upcoming => tr.t_with("status-upcoming", &[("date", date(tr, spec.starts_at).into())]),
        CampaignStatus::Active => match spec.ends_at {
            Some(end) => tr.t_with("status-active-until", &[("date", date(tr, end).into())]),
            None => tr.t("status-active"),
        },
        CampaignStatus::Ended => {
            // Closed by staff, or past its end.
            let ended = campaign.closed_at.or(spec.ends_at).unwrap_or(spec.starts_at);
            tr.t_with("status-ended", &[("date", date(tr, ended).into())])
        }
    }
}

/// The funding plan as the waterfall it is: each line full, filling or waiting, the lines
/// beyond the goal apart.
/// The funding plan: each line funded, filling or waiting, and done (with the post that says
/// so) where a published post marks it done.
pub fn plan(tr: &Tr, progress: &Progress, report: Option<&crate::services::expenses::Report>) -> Markup {
    let spec = &progress.campaign.spec;
    let m = |amount: Money| money(tr.lang, amount);
    let of_template = tr.t_with("line-of", &[("funded", "%F".into()), ("target", "%T".into())]);
    let open_template = tr.t_with("line-open", &[("funded", "%F".into())]);
    let lines: Vec<_> = spec.plan.lines().iter().zip(&progress.allocation.lines).collect();
    let row = |line: &donations::plan::BudgetLine, funded: Money| {
        let state = match line.target {
            Some(target) if funded >= target => "full",
            _ if funded.is_positive() => "filling",
            _ => "waiting",
        };
        let amounts = match line.target {
            Some(target) => tr.t_with("line-of", &[("funded", m(funded).into()), ("target", m(target).into())]),
            None => tr.t_with("line-open", &[("funded", m(funded).into())]),
        };
        let title = line.titles.shown(tr.lang.locale(), spec.locale);
        html! {
            li data-line=(line.key) {
                strong { (title) }
                " "
                span class={ "state " (state) } { (tr.t(&format!("line-{state}"))) }
                br;
                span.of { (amounts) }
                // Each line with a target fills a bar of its own; an open-ended line has no end
                // to show.
                @if let Some(target) = line.target {
                    progress max=(target.minor) value=(funded.minor.clamp(0, target.minor)) aria-label=(title) {
                        (percent(tr.lang, funded, target))
                    }
                }
                @if let Some(done) = report.iter().flat_map(|r| &r.lines).find(|l| l.line.key == line.key).and_then(|l| l.done_post()) {
                    p.done {
                        (tr.t("line-done")) " "
                        a href={ "/campaigns/" (spec.slug) "/news/" (done.slug) } { (done.title) }
                    }
                }
            }
        }
    };
    html! {
        section.card aria-labelledby="plan" data-plan data-full=(tr.t("line-full")) data-filling=(tr.t("line-filling"))
            data-waiting=(tr.t("line-waiting")) data-of=(of_template) data-open=(open_template) {
            h2 #plan { (tr.t("plan-heading")) }
            h3 { (tr.t("plan-goal")) " · " (m(spec.plan.goal())) }
            ol.plan {
                @for (line, funded) in lines.iter().filter(|(l, _)| l.tier == Tier::Goal) {
                    (row(line, funded.funded))
                }
            }
            @if lines.iter().any(|(l, _)| l.tier == Tier::Overflow) {
                h3 { (tr.t("plan-overflow")) }
                p.overflow { (tr.t("plan-overflow-note")) }
                ol.plan {
                    @for (line, funded) in lines.iter().filter(|(l, _)| l.tier == Tier::Overflow) {
                        (row(line, funded.funded))
                    }
                }
            }
        }
    }
}

fn errors_for(tr: &Tr, errors: &FieldErrors, field: &str) -> Markup {
    html! {
        @for message in errors.of(field) {
            p.error id={ "error-" (field) } { (tr.t(&format!("field-{field}"))) ": " (message) }
        }
    }
}

/// The give form's refusals at its top, each a link to its field (the GOV.UK error summary);
/// the page script moves the focus to it, so that a screen reader says it first.
fn error_summary(tr: &Tr, errors: &FieldErrors) -> Markup {
    let input = |field: &str| match field {
        "amount" => "amount-other",
        "donor_name" => "donor-name",
        "email" => "donor-email",
        "message" => "donor-message",
        "subscribe" => "donor-subscribe",
        _ => "give",
    };
    html! {
        @if !errors.is_empty() {
            div.alert.error-summary role="alert" tabindex="-1" aria-labelledby="give-errors" {
                h3 #give-errors { (tr.t("form-has-errors")) }
                ul {
                    @for (field, message) in errors.iter() {
                        li { a href={ "#" (input(field)) } { (tr.t(&format!("field-{field}"))) ": " (message) } }
                    }
                }
            }
        }
    }
}

/// The give form: what became of a checkout the donor came back from unpaid (`returning`, with
/// its one button to try again), the campaign's presets (one chosen when the page opens),
/// another amount, the donor's details, and a button that says the amount; a line on how payment
/// happens (`provider` and its methods) and one on what the email is for, linking the privacy
/// policy when the foundation has one (`privacy`).
fn give_form(
    tr: &Tr,
    progress: &Progress,
    forms: &Forms,
    returning: Option<&PledgeRecord>,
    (provider, privacy): (ProviderKind, bool),
) -> Markup {
    let spec = &progress.campaign.spec;
    let slug = &spec.slug;
    let open = progress.campaign.status_at(Utc::now()) == CampaignStatus::Active;
    let v = &forms.give.values;
    let chosen = v.chosen(spec);
    let amount = v.shown_amount(spec);
    let monthly = v.interval == "month";
    let button_in = |key: &str, amount: &str| tr.t_with(key, &[("amount", amount.to_string().into())]);
    let button_with =
        |amount: &str| button_in(if monthly { "give-button-amount-month" } else { "give-button-amount" }, amount);
    let e = &forms.give.errors;
    let more_open = !v.donor_name.is_empty()
        || !v.message.is_empty()
        || v.anonymous
        || v.hide_amount
        || v.subscribe
        || ["donor_name", "message", "subscribe"].iter().any(|f| e.has(f));
    let invalid = |field: &str| e.has(field).then_some("true");
    let described = |field: &str| e.has(field).then(|| format!("error-{field}"));
    html! {
        section.card #give aria-labelledby="give-heading" {
            h2 #give-heading { (tr.t("give-heading")) }
            @if !open {
                p { (tr.t("give-closed")) }
            } @else {
                @if let Some(pledge) = returning { (outcome::notice(tr, slug, pledge)) }
                (error_summary(tr, e))
                // The answer opens at the form (#give): a refused gift is shown where it was typed.
                form method="post" action={ "/campaigns/" (slug) "/give?lang=" (tr.lang.code()) "#give" }
                    data-currency=(spec.currency.as_str()) {
                    input type="hidden" name="key" value=(v.key);
                    fieldset aria-describedby=[described("amount")] {
                        legend { (tr.t("amount-legend")) }
                        div.presets {
                            @for preset in &spec.presets {
                                label {
                                    input type="radio" name="preset" value=(preset.amount.minor)
                                        checked[chosen == Some(preset.amount)];
                                    span.money { (money(tr.lang, preset.amount)) }
                                    @if let Some(label) = preset.labels.get(tr.lang.locale()) {
                                        " " span.label { (label) }
                                    }
                                }
                            }
                        }
                        div.field {
                            label for="amount-other" { (tr.t_with("amount-other", &[("currency", unit(spec.currency).into())])) }
                            input #amount-other type="text" name="amount_other" inputmode="decimal" autocomplete="off"
                                value=(v.amount_other) aria-invalid=[invalid("amount")] aria-describedby="amount-help";
                            p.help #amount-help { (tr.t_with("amount-help", &[
                                ("min", money(tr.lang, spec.min_pledge).into()),
                                ("max", money(tr.lang, spec.max_pledge).into())])) }
                            (errors_for(tr, e, "amount"))
                        }
                    }
                    @if spec.allows_monthly {
                        fieldset.interval {
                            legend { (tr.t("interval-legend")) }
                            label.check { input type="radio" name="interval" value="once" checked[!monthly]; " " (tr.t("interval-once")) }
                            label.check { input type="radio" name="interval" value="month" checked[monthly]; " " (tr.t("interval-month")) }
                        }
                    }
                    div.field {
                        label for="donor-email" { (tr.t("email-label")) }
                        input #donor-email type="email" name="email" maxlength="254" autocomplete="email"
                            value=(v.email) aria-invalid=[invalid("email")] aria-describedby="email-help";
                        p.help #email-help {
                            (tr.t("email-use")) " "
                            @if privacy { a href={ "/privacy?lang=" (tr.lang.code()) } { (tr.t("footer-privacy")) } }
                        }
                        (errors_for(tr, e, "email"))
                    }
                    // What the wall shows and the news are the donor's to add: folded, so that the
                    // card stays short enough to keep its button in view; open when any was given
                    // or refused.
                    details.more open[more_open] {
                        summary { (tr.t("give-more")) }
                        div.field {
                            label for="donor-name" { (tr.t("name-label")) }
                            input #donor-name type="text" name="donor_name" maxlength="100" autocomplete="name"
                                value=(v.donor_name) aria-invalid=[invalid("donor_name")];
                            (errors_for(tr, e, "donor_name"))
                        }
                        label.check { input type="checkbox" name="anonymous" value="on" checked[v.anonymous]; " " (tr.t("anonymous-label")) }
                        label.check { input type="checkbox" name="hide_amount" value="on" checked[v.hide_amount]; " " (tr.t("hide-amount-label")) }
                        div.field {
                            label for="donor-message" { (tr.t("message-label")) }
                            textarea #donor-message name="message" rows="2" maxlength="500" aria-invalid=[invalid("message")] { (v.message) }
                            (errors_for(tr, e, "message"))
                        }
                        label.check { input #donor-subscribe type="checkbox" name="subscribe" value="on" checked[v.subscribe]; " " (tr.t("subscribe-label")) }
                        (errors_for(tr, e, "subscribe"))
                    }
                    @if let Some(problem) = &forms.give.problem { p.alert role="alert" { (problem) } }
                    button #give-submit type="submit" data-plain=(tr.t("give-button"))
                        data-with=(button_in("give-button-amount", "#")) data-with-month=(button_in("give-button-amount-month", "#")) {
                        @match amount {
                            Some(amount) => (button_with(&money(tr.lang, amount))),
                            None => (tr.t("give-button")),
                        }
                    }
                    p.help.payment { (tr.t(&format!("pay-how-{}", provider.as_str()))) }
                }
            }
        }
    }
}

fn wall(tr: &Tr, progress: &Progress, page: &Page<PledgeRecord>) -> Markup {
    let slug = &progress.campaign.spec.slug;
    html! {
        section #wall aria-labelledby="wall-heading" {
            h2 #wall-heading { (tr.t("wall-heading")) }
            @if page.items.is_empty() {
                p { (tr.t("wall-empty")) }
            } @else {
                ul.wall {
                    @for p in &page.items {
                        li {
                            strong {
                                @match (p.anonymous, &p.donor_name) {
                                    (false, Some(name)) => bdi { (name) },
                                    _ => (tr.t("wall-anonymous")),
                                }
                            }
                            " · "
                            @if p.hide_amount { em { (tr.t("wall-hidden")) } }
                            @else { span.money { (money(tr.lang, p.amounts().counted())) } }
                            " " span.when { (date(tr, utc(p.created_at))) }
                            @if let Some(message) = &p.message { br; q { bdi { (message) } } }
                        }
                    }
                }
                @if let Some(next) = &page.next_cursor {
                    a href={ "/campaigns/" (slug) "?wall=" (urlencoded(next)) "#wall" } { (tr.t("wall-older")) }
                }
            }
        }
    }
}

fn news(tr: &Tr, slug: &str, posts: &[Post]) -> Markup {
    html! {
        section #news aria-labelledby="news-heading" {
            h2 #news-heading { (tr.t("news-heading")) }
            @if posts.is_empty() {
                p { (tr.t("news-none")) }
            } @else {
                ul.news {
                    @for p in posts {
                        li {
                            a href={ "/campaigns/" (slug) "/news/" (p.slug) } { (p.title) }
                            @if let Some(at) = p.published_at { " " span.when { (date(tr, utc(at))) } }
                        }
                    }
                }
            }
            p { a href={ "/campaigns/" (slug) "/news.atom" } { (tr.t("news-feed")) } }
        }
    }
}

fn comments(tr: &Tr, slug: &str, list: &[Comment], forms: &Forms) -> Markup {
    let e = &forms.comment.errors;
    let v = &forms.comment.values;
    html! {
        section #comments aria-labelledby="comments-heading" {
            h2 #comments-heading { (tr.t("comments-heading")) }
            @if list.is_empty() {
                p { (tr.t("comments-none")) }
            } @else {
                ul.comments {
                    @for c in list {
                        li { strong { bdi { (c.name) } } " " span.when { (date(tr, utc(c.created_at))) } br; bdi { (c.body) } }
                    }
                }
            }
            @if forms.sent.as_deref() == Some("comment") { p.notice role="status" { (tr.t("comment-sent")) } }
            form method="post" action={ "/campaigns/" (slug) "/comments?lang=" (tr.lang.code()) } {
                div.field {
                    label for="comment-name" { (tr.t("comment-name")) }
                    input #comment-name type="text" name="name" required maxlength="100" value=(v.name)
                        aria-invalid=[e.has("name").then_some("true")];
                    (errors_for(tr, e, "name"))
                }
                div.field {
                    label for="comment-body" { (tr.t("comment-body")) }
                    textarea #comment-body name="body" rows="3" required maxlength="2000"
                        aria-invalid=[e.has("body").then_some("true")] { (v.body) }
                    (errors_for(tr, e, "body"))
                }
                @if let Some(problem) = &forms.comment.problem { p.alert role="alert" { (problem) } }
                button.secondary type="submit" { (tr.t("comment-button")) }
            }
        }
    }
}

/// The news subscription form (also on the thanks page).
pub fn subscribe(tr: &Tr, slug: &str, forms: &Forms) -> Markup {
    let e = &forms.subscribe.errors;
    html! {
        section.card #subscribe aria-labelledby="subscribe-heading" {
            h2 #subscribe-heading { (tr.t("subscribe-heading")) }
            @if forms.sent.as_deref() == Some("subscribe") { p.notice role="status" { (tr.t("subscribe-sent")) } }
            form method="post" action={ "/campaigns/" (slug) "/subscribe?lang=" (tr.lang.code()) } {
                div.field {
                    label for="subscribe-email" { (tr.t("subscribe-email")) }
                    input #subscribe-email type="email" name="email" required maxlength="254" autocomplete="email"
                        value=(forms.subscribe.values.email) aria-invalid=[e.has("email").then_some("true")];
                    (errors_for(tr, e, "email"))
                }
                @if let Some(problem) = &forms.subscribe.problem { p.alert role="alert" { (problem) } }
                button.secondary type="submit" { (tr.t("subscribe-button")) }
            }
        }
    }
}

fn volunteer(tr: &Tr, slug: &str, forms: &Forms) -> Markup {
    let e = &forms.volunteer.errors;
    let v = &forms.volunteer.values;
    let text = |id: &str, name: &str, label: &str, value: &str, max: u32, autocomplete: &str| {
        html! {
            div.field {
                label for=(id) { (tr.t(label)) }
                input id=(id) type="text" name=(name) required maxlength=(max) autocomplete=(autocomplete) value=(value)
                    aria-invalid=[e.has(name).then_some("true")];
                (errors_for(tr, e, name))
            }
        }
    };
    html! {
        section.card #volunteer aria-labelledby="volunteer-heading" {
            h2 #volunteer-heading { (tr.t("volunteer-heading")) }
            p { (tr.t("volunteer-intro")) }
            @if forms.sent.as_deref() == Some("volunteer") { p.notice role="status" { (tr.t("volunteer-sent")) } }
            form method="post" action={ "/campaigns/" (slug) "/volunteer?lang=" (tr.lang.code()) } {
                (text("volunteer-name", "name", "volunteer-name", &v.name, 100, "name"))
                (text("volunteer-city", "city", "volunteer-city", &v.city, 100, "address-level2"))
                (text("volunteer-contact", "contact", "volunteer-contact", &v.contact, 200, "tel"))
                label.check {
                    input type="checkbox" name="age_confirmed" value="on" required checked[v.age_confirmed]
                        aria-invalid=[e.has("age_confirmed").then_some("true")];
                    " " (tr.t("volunteer-age"))
                }
                (errors_for(tr, e, "age_confirmed"))
                div.field {
                    label for="volunteer-about" { (tr.t("volunteer-about")) }
                    textarea #volunteer-about name="about" rows="3" maxlength="2000"
                        aria-invalid=[e.has("about").then_some("true")] { (v.about) }
                    (errors_for(tr, e, "about"))
                }
                @if let Some(problem) = &forms.volunteer.problem { p.alert role="alert" { (problem) } }
                button.secondary type="submit" { (tr.t("volunteer-button")) }
            }
        }
    }
}

/// Where a page can be shared, most used in Kazakhstan first (Telegram, WhatsApp), and how.
pub fn share_targets(url: &str, title: &str) -> [(&'static str, String); 5] {
    [
        ("Telegram", format!("https://t.me/share/url?url={}&text={}", urlencoded(url), urlencoded(title))),
        ("WhatsApp", format!("https://wa.me/?text={}", urlencoded(&format!("{title} {url}")))),
        ("Facebook", format!("https://www.facebook.com/sharer/sharer.php?u={}", urlencoded(url))),
        ("VK", format!("https://vk.com/share.php?url={}", urlencoded(url))),
        ("Email", format!("mailto:?subject={}&body={}", urlencoded(title), urlencoded(url))),
    ]
}

fn share(tr: &Tr, url: &str, slug: &str, title: &str) -> Markup {
    let links = share_targets(url, title);
    html! {
        section #share aria-labelledby="share-heading" {
            h2 #share-heading { (tr.t("share-heading")) }
            ul { @for (name, href) in &links { li { a href=(href) rel="noopener noreferrer" { (name) } } } }
            p { (tr.t("share-copy")) ": " a href=(url) { (url) } }
            figure.qr {
                img src=(qr::path(url, slug)) width="160" height="160" alt=(tr.t("share-qr"));
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencoded(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)]).map(|s| s[2..].to_string()).unwrap_or_default()
}
