//! The campaigns in the console: every campaign with its state; an admin creates a draft, sets
//! the money (goal, limits, presets, plan, dates; an open campaign's only with a reason), opens
//! and closes it; an editor writes its words in three languages and uploads its pictures; both
//! preview it as donors will see it. The same workflows as the staff API (`services::campaigns`,
//! `services::uploads`).

use std::collections::BTreeMap;

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::pictures::{Picture, PictureRole};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use demeu_db::locale::Locale;
use donations::campaign::{Campaign, CampaignState, Progress};
use donations::campaign_edit::{CampaignPatch, LineInput, NewCampaign, PresetInput};
use donations::money::{Currency, Money};
use maud::{html, Markup};

use super::{page, Console, ConsoleForm, Signed};
use crate::auth::Role;
use crate::format::{almaty_midnight_utc, almaty_offset, money};
use crate::i18n::Tr;
use crate::pages::campaign::{load_for, render, PageQuery};
use crate::pages::forms::Forms;
use crate::pages::layout::Caching;
use crate::problem::ApiError;
use crate::routes::access::{Admin, Editor};
use crate::services::{campaigns, uploads};
use crate::state::AppState;

/// Plan lines and presets the form offers beyond a campaign's own: room to add.
const SPARE_ROWS: usize = 2;

/// A console form's fields by name (the plan's and presets' rows are numbered).
pub type Fields = BTreeMap<String, String>;

fn back(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to)).finish()
}

/// The console's routes for campaigns.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff/campaigns").route(web::get().to(list)).route(web::post().to(create)))
        .service(web::resource("/staff/campaigns/{slug}").route(web::get().to(edit)).route(web::post().to(act)))
        .service(web::resource("/staff/campaigns/{slug}/preview").route(web::get().to(preview)))
        .service(web::resource("/staff/campaigns/{slug}/pictures").route(web::post().to(upload)))
        .service(web::resource("/staff/pictures/{id}").route(web::post().to(remove_picture)));
}

/// What a form shows: a stored campaign's values, or what was typed.
struct Values<'a> {
    fields: &'a Fields,
}

impl Values<'_> {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// A day in Almaty as a date input writes it.
fn day(at: DateTime<Utc>) -> String {
    at.with_timezone(&almaty_offset(at)).date_naive().format("%Y-%m-%d").to_string()
}

/// A stored campaign as the form's fields (amounts in major units, dates as Almaty days; the
/// last day is the one before `ends_at`).
fn fields_of(campaign: &Campaign) -> Fields {
    let spec = &campaign.spec;
    let mut f = Fields::new();
    let major = |m: Money| {
        let text = m.to_major_decimal();
        text.strip_suffix(".00").map_or(text.clone(), str::to_string)
    };
    f.insert("slug".into(), spec.slug.clone());
    f.insert("locale".into(), spec.locale.as_str().into());
    f.insert("currency".into(), spec.currency.as_str().into());
    for lang in Locale::ALL {
        let l = lang.as_str();
        f.insert(format!("title_{l}"), spec.titles.get(*lang).unwrap_or("").into());
        f.insert(format!("summary_{l}"), spec.summaries.get(*lang).unwrap_or("").into());
        f.insert(format!("story_{l}"), spec.stories.get(*lang).unwrap_or("").into());
    }
    if spec.allows_monthly {
        f.insert("allows_monthly".into(), "on".into());
    }
    f.insert("goal".into(), major(spec.plan.goal()));
    f.insert("min_pledge".into(), major(spec.min_pledge));
    f.insert("max_pledge".into(), major(spec.max_pledge));
    f.insert("starts_on".into(), day(spec.starts_at));
    f.insert("last_day".into(), spec.ends_at.map(|e| day(e - Duration::seconds(1))).unwrap_or_default());
    for (i, line) in spec.plan.lines().iter().enumerate() {
        f.insert(format!("line_key_{i}"), line.key.clone());
        f.insert(format!("line_tier_{i}"), line.tier.as_str().into());
        f.insert(format!("line_target_{i}"), line.target.map(major).unwrap_or_default());
        for lang in Locale::ALL {
            f.insert(format!("line_title_{}_{i}", lang.as_str()), line.titles.get(*lang).unwrap_or("").into());
        }
    }
    for (i, preset) in spec.presets.iter().enumerate() {
        f.insert(format!("preset_amount_{i}"), major(preset.amount));
        if preset.is_default {
            f.insert("preset_default".into(), i.to_string());
        }
        for lang in Locale::ALL {
            f.insert(format!("preset_label_{}_{i}", lang.as_str()), preset.labels.get(*lang).unwrap_or("").into());
        }
    }
    f
}

/// The monthly box as sent: checked or not on an admin's form, unchanged on an editor's (where
/// it is shown disabled, and a disabled box is not sent).
fn monthly(fields: &Fields) -> Option<bool> {
    fields.contains_key("monthly_field").then(|| fields.contains_key("allows_monthly"))
}

fn rows(fields: &Fields, prefix: &str) -> usize {
    (0..64).take_while(|i| fields.contains_key(&format!("{prefix}{i}"))).count()
}

/// The form's amount in major units as minor units of `currency`; empty is `None`.
fn minor(fields: &Fields, name: &str, currency: Currency, errors: &mut Vec<demeu_db::FieldError>) -> Option<i64> {
    let typed: String = fields.get(name).map_or("", String::as_str).chars().filter(|c| !c.is_whitespace()).collect();
    let typed = typed.trim_end_matches(currency.symbol()).replace(',', ".");
    if typed.is_empty() {
        return None;
    }
    match Money::from_major_decimal(&typed, currency) {
        Ok(m) => Some(m.minor),
        Err(_) => {
            errors.push(
                demeu_db::FieldError::new(name, "write the amount in major units, such as 5000 or 5000.50")
                    .translated("error-major-units", vec![]),
            );
            None
        }
    }
}

fn texts(fields: &Fields, prefix: &str) -> BTreeMap<String, String> {
    Locale::ALL
        .iter()
        .map(|l| (l.as_str().to_string(), fields.get(&format!("{prefix}{}", l.as_str())).cloned().unwrap_or_default()))
        .collect()
}

fn row_texts(fields: &Fields, prefix: &str, i: usize) -> BTreeMap<String, String> {
    Locale::ALL
        .iter()
        .filter_map(|l| {
            let text = fields.get(&format!("{prefix}{}_{i}", l.as_str()))?;
            Some((l.as_str().to_string(), text.clone()))
        })
        .collect()
}

/// A day typed in a date input, as the moment it begins in Almaty.
fn moment(
    fields: &Fields,
    name: &str,
    days_after: i64,
    errors: &mut Vec<demeu_db::FieldError>,
) -> Option<DateTime<Utc>> {
    let typed = fields.get(name).map_or("", |s| s.trim());
    if typed.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        Ok(d) => Some(almaty_midnight_utc(d + Duration::days(days_after)).and_utc()),
        Err(_) => {
            errors.push(
                demeu_db::FieldError::new(name, "must be a date, such as 2026-12-31").translated("error-date", vec![]),
            );
            None
        }
    }
}

/// What the form's money and words say, as the staff API's fields.
struct Read {
    currency: Currency,
    goal: Option<i64>,
    min_pledge: Option<i64>,
    max_pledge: Option<i64>,
    presets: Vec<PresetInput>,
    plan: Vec<LineInput>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    errors: Vec<demeu_db::FieldError>,
}

fn read(fields: &Fields, currency: Currency) -> Read {
    let mut errors = Vec::new();
    let currency = fields.get("currency").and_then(|c| c.parse().ok()).unwrap_or(currency);
    let presets = (0..rows(fields, "preset_amount_"))
        .filter_map(|i| {
            let amount = minor(fields, &format!("preset_amount_{i}"), currency, &mut errors)?;
            let default = fields.get("preset_default").is_some_and(|d| *d == i.to_string());
            Some(PresetInput { amount, labels: row_texts(fields, "preset_label_", i), default })
        })
        .collect();
    let plan = (0..rows(fields, "line_key_"))
        .filter(|i| !fields.get(&format!("line_key_{i}")).map_or("", |k| k.trim()).is_empty())
        .map(|i| LineInput {
            key: fields.get(&format!("line_key_{i}")).cloned().unwrap_or_default(),
            titles: row_texts(fields, "line_title_", i),
            tier: fields.get(&format!("line_tier_{i}")).cloned().unwrap_or_else(|| "goal".into()),
            target: minor(fields, &format!("line_target_{i}"), currency, &mut errors),
        })
        .collect();
    Read {
        currency,
        goal: minor(fields, "goal", currency, &mut errors),
        min_pledge: minor(fields, "min_pledge", currency, &mut errors),
        max_pledge: minor(fields, "max_pledge", currency, &mut errors),
        presets,
        plan,
        starts_at: moment(fields, "starts_on", 0, &mut errors),
        // The last day is inclusive: gifts close when the next one begins.
        ends_at: moment(fields, "last_day", 1, &mut errors),
        errors,
    }
}

/// The campaign form: words for everyone who may open it, money for admins (read-only for
/// editors), the slug and currency only while a draft (or a new one).
fn campaign_form(signed: &Signed, action: &str, values: &Values<'_>, state: Option<CampaignState>) -> Markup {
    let tr = signed.tr;
    let admin = signed.user.role == Role::Admin;
    let draft = state.is_none_or(|s| s == CampaignState::Draft);
    let money_readonly = !admin;
    let line_rows = rows(values.fields, "line_key_") + SPARE_ROWS;
    let preset_rows = (rows(values.fields, "preset_amount_") + SPARE_ROWS).min(donations::campaign::MAX_PRESETS);
    let text = |name: &str, label: String, readonly: bool| {
        html! {
            div.field {
                label for=(name) { (label) }
                input id=(name) type="text" name=(name) value=(values.get(name)) readonly[readonly];
            }
        }
    };
    html! {
        form.campaign method="post" action=(action) {
            input type="hidden" name="csrf" value=(signed.csrf);
            fieldset {
                legend { (tr.t("cc-words")) }
                (text("slug", tr.t("cc-slug"), !draft || !admin))
                div.field {
                    label for="locale" { (tr.t("cc-locale")) }
                    select #locale name="locale" {
                        @for lang in Locale::ALL {
                            option value=(lang.as_str()) selected[values.get("locale") == lang.as_str()] {
                                (Tr::new(crate::i18n::Lang::of(*lang)).t("lang-name"))
                            }
                        }
                    }
                }
                @for lang in Locale::ALL {
                    @let l = lang.as_str();
                    (text(&format!("title_{l}"), format!("{} ({l})", tr.t("console-title")), false))
                    div.field {
                        label for={ "summary_" (l) } { (tr.t("cc-summary")) " (" (l) ")" }
                        textarea id={ "summary_" (l) } name={ "summary_" (l) } rows="2" { (values.get(&format!("summary_{l}"))) }
                    }
                    div.field {
                        label for={ "story_" (l) } { (tr.t("cc-story")) " (" (l) ")" }
                        textarea id={ "story_" (l) } name={ "story_" (l) } rows="8" { (values.get(&format!("story_{l}"))) }
                    }
                }
            }
            fieldset {
                legend { (tr.t("cc-money")) }
                @if !admin { p.help { (tr.t("cc-money-admin")) } }
                div.field {
                    label for="currency" { (tr.t("cc-currency")) }
                    select #currency name="currency" disabled[!draft || !admin] {
                        @for c in Currency::ALL {
                            option value=(c.as_str()) selected[values.get("currency") == c.as_str()] { (c.as_str()) }
                        }
                    }
                    @if !draft || !admin { input type="hidden" name="currency" value=(values.get("currency")); }
                }
                (text("goal", tr.t("cc-goal"), money_readonly))
                (text("min_pledge", tr.t("cc-min"), money_readonly))
                (text("max_pledge", tr.t("cc-max"), money_readonly))
                div.field {
                    label for="starts_on" { (tr.t("cc-starts")) }
                    input #starts_on type="date" name="starts_on" value=(values.get("starts_on")) readonly[money_readonly];
                }
                div.field {
                    label for="last_day" { (tr.t("cc-last-day")) }
                    input #last_day type="date" name="last_day" value=(values.get("last_day")) readonly[money_readonly];
                }
                h3 { (tr.t("cc-plan")) }
                p.help { (tr.t("cc-plan-help")) }
                @for i in 0..line_rows {
                    fieldset.row {
                        legend { (tr.t("cc-line")) " " (i + 1) }
                        (text(&format!("line_key_{i}"), tr.t("cc-line-key"), money_readonly))
                        div.field {
                            label for={ "line_tier_" (i) } { (tr.t("cc-line-tier")) }
                            select id={ "line_tier_" (i) } name={ "line_tier_" (i) } {
                                @for tier in ["goal", "overflow"] {
                                    option value=(tier) selected[values.get(&format!("line_tier_{i}")) == tier] { (tr.t(&format!("cc-tier-{tier}"))) }
                                }
                            }
                        }
                        (text(&format!("line_target_{i}"), tr.t("cc-line-target"), money_readonly))
                        @for lang in Locale::ALL {
                            @let l = lang.as_str();
                            (text(&format!("line_title_{l}_{i}"), format!("{} ({l})", tr.t("console-title")), false))
                        }
                    }
                }
                h3 { (tr.t("cc-presets")) }
                @for i in 0..preset_rows {
                    fieldset.row {
                        legend { (tr.t("cc-preset")) " " (i + 1) }
                        (text(&format!("preset_amount_{i}"), tr.t("pl-amount"), money_readonly))
                        @for lang in Locale::ALL {
                            @let l = lang.as_str();
                            (text(&format!("preset_label_{l}_{i}"), format!("{} ({l})", tr.t("cc-preset-label")), false))
                        }
                        label.check {
                            input type="radio" name="preset_default" value=(i)
                                checked[values.get("preset_default") == i.to_string()];
                            " " (tr.t("cc-preset-default"))
                        }
                    }
                }
                // Unchecked boxes are not sent: the marker says the box was on an admin's form.
                @if admin { input type="hidden" name="monthly_field" value="1"; }
                label.check {
                    input #allows_monthly type="checkbox" name="allows_monthly" value="on" disabled[money_readonly]
                        checked[values.get("allows_monthly") == "on" || (state.is_none() && values.get("monthly_field").is_empty())];
                    " " (tr.t("cc-allows-monthly"))
                }
                @if !draft {
                    div.field {
                        label for="reason" { (tr.t("cc-reason")) }
                        input #reason type="text" name="reason" maxlength="500" value=(values.get("reason"));
                        p.help { (tr.t("cc-reason-help")) }
                    }
                }
            }
            button type="submit" name="action" value="save" { (tr.t("console-save")) }
        }
    }
}

fn state_name(tr: Tr, state: CampaignState) -> String {
    tr.name("campaign-state", state.as_str())
}

/// Every campaign, then (for an admin) a new one's form.
fn list_view(signed: &Signed, all: &[Progress], new: &Fields, refused: &[demeu_db::FieldError]) -> Markup {
    let tr = signed.tr;
    let lang = tr.lang.locale();
    let [title, status, raised] = ["console-title", "console-status", "cc-raised"].map(|k| tr.t(k));
    html! {
        div.scroll { table.list.campaigns {
            thead { tr {
                th scope="col" { (title) } th scope="col" { (status) } th scope="col" { (raised) }
                th scope="col" { span.visually-hidden { (tr.t("console-actions")) } }
            } }
            tbody {
                @for p in all {
                    @let c = &p.campaign;
                    tr {
                        td data-label=(title) { a href={ "/staff/campaigns/" (c.spec.slug) } { (c.title(lang)) } }
                        td data-label=(status) { (state_name(tr, c.state)) }
                        td data-label=(raised) { span.money { (money(tr.lang, p.raised)) } " / " span.money { (money(tr.lang, c.spec.plan.goal())) } }
                        td {
                            a href={ "/staff/campaigns/" (c.spec.slug) "/preview" } { (tr.t("console-preview")) }
                            @if c.is_public() { " · " a href={ "/campaigns/" (c.spec.slug) } { (tr.t("cc-public-page")) } }
                        }
                    }
                }
            }
        } }
        @if signed.user.role == Role::Admin {
            h2 #new { (tr.t("cc-new")) }
            (super::refused_fields(tr, refused))
            (campaign_form(signed, "/staff/campaigns", &Values { fields: new }, None))
        }
    }
}

/// `GET /staff/campaigns`.
pub async fn list(Console(signed, ..): Console<Editor>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = campaigns::list(&state).await?;
    let mut new = Fields::new();
    new.insert("locale".into(), "ru".into());
    new.insert("currency".into(), "KZT".into());
    new.insert("min_pledge".into(), "500".into());
    new.insert("max_pledge".into(), "5000000".into());
    let tr = signed.tr;
    Ok(page(Some(&signed), tr, &tr.t("cc-campaigns"), StatusCode::OK, list_view(&signed, &all, &new, &[])))
}

/// `POST /staff/campaigns`: a new draft (an admin's).
pub async fn create(
    ConsoleForm(signed, fields, ..): ConsoleForm<Admin, Fields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let r = read(&fields, Currency::Kzt);
    let mut refused = r.errors;
    if refused.is_empty() {
        let new = NewCampaign {
            slug: fields.get("slug").cloned().unwrap_or_default(),
            titles: texts(&fields, "title_"),
            summaries: texts(&fields, "summary_"),
            stories: texts(&fields, "story_"),
            currency: r.currency.as_str().into(),
            goal: r.goal.unwrap_or(0),
            min_pledge: r.min_pledge.unwrap_or(0),
            max_pledge: r.max_pledge.unwrap_or(0),
            presets: r.presets,
            allows_monthly: monthly(&fields),
            plan: r.plan,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            locale: fields.get("locale").cloned().unwrap_or_default(),
        };
        match campaigns::create(&state, new, &signed.user).await {
            Ok(made) => return Ok(back(format!("/staff/campaigns/{}", made.spec.slug))),
            Err(e) => match ApiError::from(e) {
                ApiError::Invalid(fields) => refused = fields,
                other => return Err(other),
            },
        }
    }
    // Refused: the form again as typed, with what is wrong.
    let all = campaigns::list(&state).await?;
    let tr = signed.tr;
    let main = list_view(&signed, &all, &fields, &refused);
    Ok(page(Some(&signed), tr, &tr.t("cc-campaigns"), StatusCode::UNPROCESSABLE_ENTITY, main))
}

/// One campaign's page in the console: its state and what may be done with it, its pictures,
/// its form.
fn campaign_view(
    signed: &Signed,
    progress: &Progress,
    pictures: &[Picture],
    others: &[Progress],
    values: &Fields,
    refused: &[demeu_db::FieldError],
) -> Markup {
    let tr = signed.tr;
    let c = &progress.campaign;
    let slug = &c.spec.slug;
    let admin = signed.user.role == Role::Admin;
    let lang = tr.lang.locale();
    let state_action = |value: &str, label: String, extra: Markup| {
        html! {
            form method="post" action={ "/staff/campaigns/" (slug) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                (extra)
                button type="submit" name="action" value=(value) { (label) }
            }
        }
    };
    html! {
        p {
            strong { (state_name(tr, c.state)) } " · "
            span.money { (money(tr.lang, progress.raised)) " / " (money(tr.lang, c.spec.plan.goal())) } " · "
            a href={ "/staff/campaigns/" (slug) "/preview" } { (tr.t("console-preview")) } " · "
            a href={ "/staff/campaigns/" (slug) "/expenses" } { (tr.t("ex-link")) }
            @if c.is_public() { " · " a href={ "/campaigns/" (slug) } { (tr.t("cc-public-page")) } }
        }
        @if admin && c.state == CampaignState::Draft {
            (state_action("open", tr.t("cc-open"), html! {}))
        }
        @if admin && c.state == CampaignState::Open {
            (state_action("close", tr.t("cc-close"), html! {
                div.field {
                    label for="continues_as" { (tr.t("cc-continues-as")) }
                    select #continues_as name="continues_as" {
                        option value="" { "—" }
                        @for o in others.iter().filter(|o| o.campaign.state == CampaignState::Open && o.campaign.id != c.id) {
                            option value=(o.campaign.spec.slug) { (o.campaign.title(lang)) }
                        }
                    }
                }
            }))
        }
        section.card aria-labelledby="pictures-heading" {
            h2 #pictures-heading { (tr.t("cc-pictures")) }
            @if pictures.is_empty() { p { (tr.t("cc-no-pictures")) } }
            ul.gallery {
                @for p in pictures {
                    li {
                        (crate::pages::pictures::picture(p, p.alt(lang, c.spec.locale), "11rem", false))
                        p { (tr.name("picture-role", p.role.as_str())) }
                        form method="post" action={ "/staff/pictures/" (p.id) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            input type="hidden" name="campaign" value=(slug);
                            button.secondary type="submit" name="action" value="remove" { (tr.t("cc-remove")) }
                        }
                    }
                }
            }
            (upload_form(signed, &format!("/staff/campaigns/{slug}/pictures"), &[PictureRole::Cover, PictureRole::Gallery]))
        }
        h2 { (tr.t("console-edit")) }
        (super::refused_fields(tr, refused))
        (campaign_form(signed, &format!("/staff/campaigns/{slug}"), &Values { fields: values }, Some(c.state)))
    }
}

/// A picture's upload form (multipart; its CSRF token the first part, as the server wants it):
/// the file, what it is for when there is a choice (`roles`), its alt text per language.
pub(super) fn upload_form(signed: &Signed, action: &str, roles: &[PictureRole]) -> Markup {
    let tr = signed.tr;
    html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(signed.csrf);
            div.field {
                label for="picture-file" { (tr.t("cc-picture-file")) }
                input #picture-file type="file" name="file" accept="image/jpeg,image/png,image/webp" required;
            }
            @if !roles.is_empty() {
                div.field {
                    label for="picture-role" { (tr.t("cc-picture-role")) }
                    select #picture-role name="role" {
                        @for role in roles {
                            option value=(role.as_str()) { (tr.name("picture-role", role.as_str())) }
                        }
                    }
                }
            }
            @for lang in Locale::ALL {
                @let l = lang.as_str();
                div.field {
                    label for={ "alt_" (l) } { (tr.t("cc-alt")) " (" (l) ")" }
                    input id={ "alt_" (l) } type="text" name={ "alt_" (l) } maxlength="300";
                }
            }
            button type="submit" { (tr.t("cc-upload")) }
        }
    }
}

async fn campaign_page(
    state: &AppState,
    signed: &Signed,
    slug: String,
    typed: Option<&Fields>,
    refused: &[demeu_db::FieldError],
) -> Result<HttpResponse, ApiError> {
    let progress = campaigns::find(state, slug).await?;
    let id = progress.campaign.id;
    let pictures = state.pool.run(move |conn| campaign_news::pictures::of_campaign(conn, id)).await?;
    let others = campaigns::list(state).await?;
    let values = typed.cloned().unwrap_or_else(|| fields_of(&progress.campaign));
    let tr = signed.tr;
    let title = progress.campaign.title(tr.lang.locale()).to_string();
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let main = campaign_view(signed, &progress, &pictures, &others, &values, refused);
    // A closed campaign whose monthly gifts a provider would not stop: said at the top until
    // staff stop them (each is still charged).
    let closed = progress.campaign.state == CampaignState::Closed;
    let running = if closed {
        state.pool.run(move |conn| donations::subscription::running_for(conn, id)).await?.len()
    } else {
        0
    };
    let slug = progress.campaign.spec.slug.clone();
    let main = html! {
        @if running > 0 {
            p.alert role="alert" {
                (tr.t_with("cc-monthly-still-running", &[("count", running.into())])) " "
                a href={ "/staff/subscriptions?campaign=" (slug) "&status=active" } { (tr.t("cc-monthly-stop-them")) }
            }
        }
        (main)
    };
    Ok(page(Some(signed), tr, &title, status, main))
}

/// `GET /staff/campaigns/{slug}`.
pub async fn edit(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    campaign_page(&state, &signed, slug.into_inner(), None, &[]).await
}

/// `POST /staff/campaigns/{slug}`: save (an editor's words, an admin's everything), open or
/// close (an admin's).
pub async fn act(
    ConsoleForm(signed, fields, ..): ConsoleForm<Editor, Fields>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let action = fields.get("action").map_or("", String::as_str);
    if matches!(action, "open" | "close") && signed.user.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let done = match action {
        "open" => campaigns::open(&state, slug.clone(), &signed.user).await,
        "close" => {
            let next = fields.get("continues_as").filter(|s| !s.is_empty()).cloned();
            // What became of its monthly gifts the campaign's page says (`monthly_notice`).
            campaigns::close(&state, slug.clone(), next, &signed.user).await.map(|(closed, _)| closed)
        }
        "save" => {
            let current = campaigns::find(&state, slug.clone()).await?;
            let r = read(&fields, current.campaign.spec.currency);
            if !r.errors.is_empty() {
                return campaign_page(&state, &signed, slug, Some(&fields), &r.errors).await;
            }
            let patch = CampaignPatch {
                slug: fields.get("slug").cloned(),
                titles: Some(texts(&fields, "title_")),
                summaries: Some(texts(&fields, "summary_")),
                stories: Some(texts(&fields, "story_")),
                currency: Some(r.currency.as_str().into()),
                goal: r.goal,
                min_pledge: r.min_pledge,
                max_pledge: r.max_pledge,
                presets: Some(r.presets),
                allows_monthly: monthly(&fields),
                plan: Some(r.plan),
                starts_at: r.starts_at,
                ends_at: Some(r.ends_at),
                locale: fields.get("locale").cloned(),
                reason: fields.get("reason").cloned(),
            };
            campaigns::edit(&state, slug.clone(), patch, &signed.user).await
        }
        _ => return Err(ApiError::invalid("action", "save, open or close")),
    };
    match done.map_err(ApiError::from) {
        Ok(campaign) => Ok(back(format!("/staff/campaigns/{}", campaign.spec.slug))),
        // Refused: the page again with the form as typed and what is wrong.
        Err(ApiError::Invalid(refused)) => campaign_page(&state, &signed, slug, Some(&fields), &refused).await,
        Err(ApiError::Conflict(_)) => campaign_page(&state, &signed, slug, None, &[]).await,
        Err(other) => Err(other),
    }
}

/// `GET /staff/campaigns/{slug}/preview`: the campaign's page as donors will see it, a draft's
/// too; never kept.
pub async fn preview(
    Console(_staff, ..): Console<Editor>,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let loaded =
        load_for(&state, slug.into_inner(), &PageQuery::default(), donations::campaign::Audience::Staff).await?;
    let forms = Forms { notice: Some("cc-preview-notice"), ..Forms::default() };
    Ok(render(&state, &req, &loaded, &forms, StatusCode::OK, Caching::Private))
}

/// `POST /staff/campaigns/{slug}/pictures`: a picture uploaded from the console (multipart,
/// its CSRF token a part of it).
pub async fn upload(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let limit = state.settings.limits.picture_upload_bytes;
    let form = crate::routes::pictures::read_form(&req, payload, limit, Some(&signed.csrf)).await;
    let form = match form {
        Ok(form) => form,
        Err(ApiError::Invalid(refused)) => return campaign_page(&state, &signed, slug, None, &refused).await,
        Err(other) => return Err(other),
    };
    match uploads::add(&state, uploads::Target::Campaign(slug.clone()), form, &signed.user).await {
        Ok(_) => Ok(back(format!("/staff/campaigns/{slug}#pictures-heading"))),
        Err(e) => match ApiError::from(e) {
            ApiError::Invalid(refused) => campaign_page(&state, &signed, slug, None, &refused).await,
            other => Err(other),
        },
    }
}

/// `POST /staff/pictures/{id}`: removes a picture, back to its campaign.
pub async fn remove_picture(
    ConsoleForm(signed, fields, ..): ConsoleForm<Editor, Fields>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = crate::extract::path_id(&req, "id", "picture")?;
    uploads::remove(&state, id, &signed.user).await?;
    let to = match fields.get("campaign") {
        Some(slug) if donations::campaign::slug_is_valid(slug) => format!("/staff/campaigns/{slug}#pictures-heading"),
        _ => "/staff/foundation".to_string(),
    };
    Ok(back(to))
}
