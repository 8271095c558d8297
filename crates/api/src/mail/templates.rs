//! Every mail Demeu sends, through the site's one pipeline: the words from the Fluent
//! catalogues (`mail-*`, in Kazakh, Russian and English), amounts and dates written the
//! reader's language's way (`crate::format`), the HTML part built with maud (which escapes
//! everything it is given). The reader's language picks the words: the donor's or subscriber's
//! where it was stored, else the campaign's (`compose.rs` decides). Each template gives a
//! subject, a text part and an HTML part.

use chrono::{DateTime, Utc};
use donations::money::Money;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::format::{date, money};
pub use crate::i18n::Lang;
use crate::i18n::Tr;

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// text/plain.
    pub text: String,
    /// text/html.
    pub html: String,
}

/// Text a visitor wrote, isolated from what stands around it (Unicode's first-strong isolate …
/// pop directional isolate), so that a name in one script cannot reorder the sentence or the
/// amounts beside it; any bidirectional control inside is dropped (the site refuses them when
/// text comes in; this keeps older rows harmless).
fn isolate(text: &str) -> String {
    let inside: String = text.chars().filter(|&c| !demeu_db::text::is_bidi_control(c)).collect();
    format!("\u{2068}{inside}\u{2069}")
}

/// A sentence of the text part in HTML: escaped by maud, and each isolate that [`isolate`] put
/// in it shown as the element that says the same in HTML, `<bdi>`.
fn sentence(text: &str) -> Markup {
    let escaped = html! { (text) }.into_string();
    PreEscaped(escaped.replace('\u{2068}', "<bdi>").replace('\u{2069}', "</bdi>"))
}

/// The HTML part: the body, then the foundation's line under a rule.
fn page(lang: Lang, body: Markup, footer: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; }
            body style="font-family:sans-serif;max-width:36rem;margin:auto;line-height:1.5" {
                (body)
                hr;
                p style="color:#666;font-size:13px" { (footer) }
            }
        }
    }
    .into_string()
}

/// A date and time in Almaty, the language's way: `28 ноября 2026, 14:05`.
fn when(tr: &Tr, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&crate::format::almaty_offset(at));
    format!("{}, {}", date(tr, at), local.format("%H:%M"))
}

/// One budget line as a receipt shows it.
#[derive(Debug, Clone)]
pub struct LineState {
    /// Title.
    pub title: String,
    /// Funded so far.
    pub funded: Money,
    /// Its target; `None` for the line that takes the rest.
    pub target: Option<Money>,
}

/// What a receipt says.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The donor, if named.
    pub donor_name: Option<String>,
    /// What counted.
    pub amount: Money,
    /// Campaign title.
    pub campaign: String,
    /// When the money counted.
    pub counted_at: DateTime<Utc>,
    /// The pledge id.
    pub pledge_id: String,
    /// The lines the campaign's money is funding now.
    pub lines: Vec<LineState>,
    /// A monthly gift's charge: the donor's page, where it is changed or stopped.
    pub monthly_manage_url: Option<String>,
    /// Its receipt code and the page that checks it.
    pub check: Option<(String, String)>,
    /// Who signs.
    pub foundation: String,
}

fn hello(tr: &Tr, name: Option<&str>) -> String {
    match name {
        Some(name) => tr.t_with("mail-hello-named", &[("name", isolate(name).into())]),
        None => tr.t("mail-hello"),
    }
}

/// The receipt sent when a pledge is first counted.
pub fn receipt(lang: Lang, r: &Receipt) -> Rendered {
    let tr = Tr::new(lang);
    let amount = money(lang, r.amount);
    let subject = tr.t_with("mail-receipt-subject", &[("amount", amount.clone().into())]);
    let hello = hello(&tr, r.donor_name.as_deref());
    let what = tr.t_with("mail-receipt-body", &[("amount", amount.into()), ("campaign", r.campaign.clone().into())]);
    let thanks = tr.t("mail-receipt-thanks");
    let (date_l, id_l, lines_l) = (tr.t("mail-date"), tr.t("mail-pledge-number"), tr.t("mail-receipt-lines"));
    let counted = when(&tr, r.counted_at);
    let line = |l: &LineState| {
        let funded = money(lang, l.funded);
        let amounts = match l.target {
            Some(target) => tr.t_with("line-of", &[("funded", funded.into()), ("target", money(lang, target).into())]),
            None => tr.t_with("line-open", &[("funded", funded.into())]),
        };
        (l.title.clone(), amounts)
    };
    let lines: Vec<(String, String)> = r.lines.iter().map(line).collect();
    let listed: Vec<String> = lines.iter().map(|(title, amounts)| format!("  • {title}: {amounts}")).collect();
    let monthly =
        r.monthly_manage_url.as_ref().map(|url| (tr.t("mail-monthly-note"), tr.t("mail-monthly-manage"), url));
    let monthly_text =
        monthly.as_ref().map(|(note, manage, url)| format!("{note}\n{manage}: {url}\n\n")).unwrap_or_default();
    let check =
        r.check.as_ref().map(|(code, url)| (tr.t_with("receipt-code-line", &[("code", code.clone().into())]), url));
    let check_text = check.as_ref().map(|(line, url)| format!("{line}\n{url}\n")).unwrap_or_default();
    let text = format!(
        "{hello}\n\n{what}\n{thanks}\n\n{monthly_text}{date_l}: {counted}\n{id_l}: {}\n{check_text}\n{lines_l}\n{}\n\n{}\n",
        r.pledge_id,
        listed.join("\n"),
        r.foundation
    );
    let body = html! {
        p { (sentence(&hello)) }
        p { (what) br; (thanks) }
        @if let Some((note, manage, url)) = &monthly {
            p { (note) " " a href=(url) { (manage) } }
        }
        p { (date_l) ": " (counted) br; (id_l) ": " code { (r.pledge_id) } }
        @if let Some((line, url)) = &check { p { a href=(url.as_str()) { (line) } } }
        p { (lines_l) }
        ul { @for (title, amounts) in &lines { li { (title) ": " (amounts) } } }
    };
    Rendered { subject, text, html: page(lang, body, html! { (r.foundation) }) }
}

/// What a refund notice says.
#[derive(Debug, Clone)]
pub struct RefundNotice {
    /// Returned now.
    pub amount: Money,
    /// Campaign title.
    pub campaign: String,
    /// The pledge id.
    pub pledge_id: String,
    /// Who signs.
    pub foundation: String,
}

/// The notice sent when a refund is counted.
pub fn refund_notice(lang: Lang, r: &RefundNotice) -> Rendered {
    let tr = Tr::new(lang);
    let amount = money(lang, r.amount);
    let subject = tr.t_with("mail-refund-subject", &[("amount", amount.clone().into())]);
    let body_text =
        tr.t_with("mail-refund-body", &[("amount", amount.into()), ("campaign", r.campaign.clone().into())]);
    let id_l = tr.t("mail-pledge-number");
    let text = format!("{body_text}\n{id_l}: {}\n\n{}\n", r.pledge_id, r.foundation);
    let body = html! {
        p { (body_text) }
        p { (id_l) ": " code { (r.pledge_id) } }
    };
    Rendered { subject, text, html: page(lang, body, html! { (r.foundation) }) }
}

/// The mail with a donor's sign-in link, good for `minutes`.
pub fn sign_in_link(lang: Lang, url: &str, minutes: i64, foundation: &str) -> Rendered {
    let tr = Tr::new(lang);
    let subject = tr.t("mail-link-subject");
    let body_text = tr.t_with("mail-link-body", &[("minutes", minutes.into())]);
    let (action, ignore) = (tr.t("mail-link-action"), tr.t("mail-link-ignore"));
    let text = format!("{body_text}\n\n{action}: {url}\n\n{ignore}\n\n{foundation}\n");
    let body = html! {
        p { (body_text) }
        p { a href=(url) { (action) } }
        p { (ignore) }
    };
    Rendered { subject, text, html: page(lang, body, html! { (foundation) }) }
}

/// What happened to a donor's monthly gift, which they are told of.
#[derive(Debug, Clone)]
pub enum MonthlyNews {
    /// Stopped by the donor or by staff on their request.
    Stopped,
    /// Stopped because its campaign closed with no successor.
    CampaignClosed,
    /// Its amount changed (from `was`).
    Changed {
        /// The amount before.
        was: Money,
    },
    /// A charge failed; the provider tries again.
    Failed,
    /// The provider stopped it after failed charges.
    Ended,
    /// Its campaign closed; it goes on for the successor, titled so.
    Moved {
        /// The successor's title.
        next: String,
    },
}

/// A mail about a donor's monthly gift.
#[derive(Debug, Clone)]
pub struct MonthlyMail {
    /// What happened.
    pub news: MonthlyNews,
    /// Its monthly amount (now).
    pub amount: Money,
    /// The campaign's title (the one closed, for a move).
    pub campaign: String,
    /// The donor's page.
    pub manage_url: String,
    /// The campaign's page, to give monthly again.
    pub campaign_url: String,
    /// Who signs.
    pub foundation: String,
}

/// Tells a donor what happened to their monthly gift, with what they can do about it.
pub fn monthly(lang: Lang, m: &MonthlyMail) -> Rendered {
    let tr = Tr::new(lang);
    let amount = money(lang, m.amount);
    let mut args: Vec<(&str, fluent_bundle::FluentValue<'static>)> =
        vec![("amount", amount.into()), ("campaign", m.campaign.clone().into())];
    let (key, extra, link) = match &m.news {
        MonthlyNews::Stopped => ("mail-monthly-stopped", None, None),
        MonthlyNews::CampaignClosed => ("mail-monthly-closed", None, None),
        MonthlyNews::Changed { was } => {
            args.push(("was", money(lang, *was).into()));
            ("mail-monthly-changed", None, Some((tr.t("mail-monthly-manage"), &m.manage_url)))
        }
        MonthlyNews::Failed => (
            "mail-monthly-failed",
            Some(tr.t("mail-monthly-failed-fix")),
            Some((tr.t("mail-monthly-manage"), &m.manage_url)),
        ),
        MonthlyNews::Ended => ("mail-monthly-ended", Some(tr.t("mail-monthly-again")), None),
        MonthlyNews::Moved { next } => {
            args.push(("next", next.clone().into()));
            ("mail-monthly-moved", None, Some((tr.t("mail-monthly-manage"), &m.manage_url)))
        }
    };
    // Giving again is on the campaign's page (a stopped gift's only way on).
    let again = matches!(m.news, MonthlyNews::Ended).then(|| (tr.t("give-button"), &m.campaign_url));
    let link = link.or(again);
    let subject = tr.t_with(&format!("{key}-subject"), &args);
    let body_text = tr.t_with(&format!("{key}-body"), &args);
    let mut text = body_text.clone();
    for line in extra.iter() {
        text.push_str(&format!("\n\n{line}"));
    }
    if let Some((label, url)) = &link {
        text.push_str(&format!("\n\n{label}: {url}"));
    }
    text.push_str(&format!("\n\n{}\n", m.foundation));
    let body = html! {
        p { (body_text) }
        @if let Some(line) = &extra { p { (line) } }
        @if let Some((label, url)) = &link { p { a href=(url) { (label) } } }
    };
    Rendered { subject, text, html: page(lang, body, html! { (m.foundation) }) }
}

/// The foundation's line with the reader's way out of the list.
fn leave_footer(tr: &Tr, foundation: &str, unsubscribe_url: &str) -> Markup {
    html! { (foundation) " · " a href=(unsubscribe_url) { (tr.t("mail-unsubscribe")) } }
}

/// The mail asking a new subscriber to confirm.
pub fn confirmation(
    lang: Lang,
    campaign: &str,
    confirm_url: &str,
    unsubscribe_url: &str,
    foundation: &str,
) -> Rendered {
    let tr = Tr::new(lang);
    let subject = tr.t_with("mail-confirm-subject", &[("campaign", campaign.into())]);
    let body_text = tr.t_with("mail-confirm-body", &[("campaign", campaign.into())]);
    let (action, ignore, leave) = (tr.t("mail-confirm-action"), tr.t("mail-confirm-ignore"), tr.t("mail-unsubscribe"));
    let text =
        format!("{body_text}\n\n{action}: {confirm_url}\n\n{ignore}\n\n{leave}: {unsubscribe_url}\n{foundation}\n");
    let body = html! {
        p { (body_text) }
        p { a href=(confirm_url) { (action) } }
        p { (ignore) }
    };
    Rendered { subject, text, html: page(lang, body, leave_footer(&tr, foundation, unsubscribe_url)) }
}

/// What a news mail says.
#[derive(Debug, Clone)]
pub struct NewsMail<'a> {
    /// Campaign title.
    pub campaign: &'a str,
    /// Post title.
    pub title: &'a str,
    /// The post as Markdown, for the text part.
    pub text_body: &'a str,
    /// The post's sanitized HTML (rendered and cleaned when it was saved).
    pub html_body: &'a str,
    /// Where to read it.
    pub post_url: &'a str,
    /// This recipient's unsubscribe link.
    pub unsubscribe_url: &'a str,
    /// Who signs.
    pub foundation: &'a str,
}

/// A new post, mailed to confirmed subscribers.
pub fn news(lang: Lang, m: &NewsMail<'_>) -> Rendered {
    let NewsMail { campaign, title, text_body, html_body, post_url, unsubscribe_url, foundation } = *m;
    let tr = Tr::new(lang);
    let subject = tr.t_with("mail-news-subject", &[("campaign", campaign.into()), ("title", title.into())]);
    let (read, leave) = (tr.t("mail-news-read"), tr.t("mail-unsubscribe"));
    let text = format!("{title}\n\n{text_body}\n\n{read}: {post_url}\n\n{leave}: {unsubscribe_url}\n{foundation}\n");
    let body = html! {
        h1 { (title) }
        // Sanitized by campaign-news when the post was saved (ammonia): trusted here.
        (PreEscaped(html_body))
        p { a href=(post_url) { (read) } }
    };
    Rendered { subject, text, html: page(lang, body, leave_footer(&tr, foundation, unsubscribe_url)) }
}

/// What the foundation is told of a "join the mentors' team" application: the applicant's
/// details, for the foundation's address only (never mailed to anyone else).
#[derive(Clone)]
pub struct VolunteerMail<'a> {
    /// Campaign title.
    pub campaign: &'a str,
    /// As given.
    pub name: &'a str,
    /// As given.
    pub city: &'a str,
    /// An email address or a phone number, as given.
    pub contact: &'a str,
    /// A few words, possibly none.
    pub about: &'a str,
    /// The language of the page the application came from, when known (`kk`, `ru`, `en`).
    pub locale: Option<&'a str>,
    /// The application's id.
    pub id: &'a str,
    /// Where staff list new applications.
    pub list_url: &'a str,
    /// Who signs.
    pub foundation: &'a str,
}

/// A new "join the mentors' team" application, mailed to the foundation.
pub fn volunteer_application(lang: Lang, m: &VolunteerMail<'_>) -> Rendered {
    let tr = Tr::new(lang);
    let subject = tr.t_with("mail-volunteer-subject", &[("campaign", m.campaign.into())]);
    let intro = tr.t_with("mail-volunteer-intro", &[("campaign", m.campaign.into())]);
    let locale = m.locale.unwrap_or("-").to_string();
    let about = if m.about.is_empty() { "-".to_string() } else { isolate(m.about) };
    let rows = [
        (tr.t("mail-volunteer-name"), isolate(m.name)),
        (tr.t("mail-volunteer-city"), isolate(m.city)),
        (tr.t("mail-volunteer-contact"), isolate(m.contact)),
        (tr.t("mail-volunteer-age"), tr.t("mail-volunteer-age-confirmed")),
        (tr.t("mail-volunteer-locale"), locale),
    ];
    let (about_l, id_l, list_l) =
        (tr.t("mail-volunteer-about"), tr.t("mail-volunteer-number"), tr.t("mail-volunteer-list"));
    let listed: Vec<String> = rows.iter().map(|(label, value)| format!("{label}: {value}")).collect();
    let text = format!(
        "{intro}\n\n{}\n\n{about_l}:\n{about}\n\n{id_l}: {}\n{list_l}: {}\n\n{}\n",
        listed.join("\n"),
        m.id,
        m.list_url,
        m.foundation
    );
    let body = html! {
        p { (intro) }
        table { @for (label, value) in &rows { tr { th align="left" { (label) } td { (sentence(value)) } } } }
        p { b { (about_l) } }
        p style="white-space:pre-wrap" { (sentence(&about)) }
        p { (id_l) ": " code { (m.id) } br; a href=(m.list_url) { (list_l) } }
    };
    Rendered { subject, text, html: page(lang, body, html! { (m.foundation) }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use donations::money::Currency;

    fn kzt(minor: i64) -> Money {
        Money::new(minor, Currency::Kzt)
    }

    fn receipt_data() -> Receipt {
        Receipt {
            donor_name: Some("Айгерим <b>".into()),
            amount: kzt(500_000),
            campaign: "Mentors".into(),
            counted_at: chrono::DateTime::parse_from_rfc3339("2026-11-25T09:05:00Z").expect("a time").to_utc(),
            pledge_id: "p-1".into(),
            lines: vec![LineState { title: "School".into(), funded: kzt(500_000), target: Some(kzt(22_500_000)) }],
            monthly_manage_url: None,
            check: None,
            foundation: "Dara".into(),
        }
    }

    #[test]
    fn a_monthly_charge_says_it_is_monthly_and_where_it_is_stopped() {
        let monthly = Receipt { monthly_manage_url: Some("https://x.kz/donor?lang=kk".into()), ..receipt_data() };
        let kk = receipt(Lang::Kk, &monthly);
        assert!(kk.text.contains("ай сайынғы") && kk.text.contains("https://x.kz/donor?lang=kk"), "{}", kk.text);
        assert!(kk.html.contains(r#"href="https://x.kz/donor?lang=kk""#), "{}", kk.html);
        let once = receipt(Lang::Ru, &receipt_data());
        assert!(!once.text.contains("ежемесячное") && !once.text.contains("/donor"), "{}", once.text);
    }

    #[test]
    fn each_monthly_news_is_said_in_each_language_with_what_to_do() {
        let mail = |news: MonthlyNews| MonthlyMail {
            news,
            amount: kzt(500_000),
            campaign: "Mentors".into(),
            manage_url: "https://x.kz/donor".into(),
            campaign_url: "https://x.kz/campaigns/mentors".into(),
            foundation: "Dara".into(),
        };
        for lang in [Lang::Kk, Lang::Ru, Lang::En] {
            for news in [
                MonthlyNews::Stopped,
                MonthlyNews::CampaignClosed,
                MonthlyNews::Changed { was: kzt(300_000) },
                MonthlyNews::Failed,
                MonthlyNews::Ended,
                MonthlyNews::Moved { next: "Autumn".into() },
            ] {
                let said = monthly(lang, &mail(news.clone()));
                assert!(
                    said.text.contains("5 000 ₸") && said.text.contains("Mentors"),
                    "{lang:?} {news:?}: {}",
                    said.text
                );
                // Fluent says a missing message by its id: none may be missing.
                assert!(!said.subject.contains("mail-") && !said.text.contains("mail-"), "{lang:?} {news:?}: {said:?}");
                let link = match news {
                    MonthlyNews::Failed | MonthlyNews::Changed { .. } | MonthlyNews::Moved { .. } => Some("x.kz/donor"),
                    MonthlyNews::Ended => Some("x.kz/campaigns/mentors"),
                    MonthlyNews::Stopped | MonthlyNews::CampaignClosed => None,
                };
                if let Some(link) = link {
                    assert!(said.text.contains(link) && said.html.contains(link), "{lang:?} {news:?}: {}", said.text);
                }
            }
        }
        let moved = monthly(Lang::Ru, &mail(MonthlyNews::Moved { next: "Осень".into() }));
        assert!(moved.subject.contains("Осень") && moved.text.contains("Осень"), "{moved:?}");
    }

    #[test]
    fn receipts_speak_each_language_and_escape_html() {
        let ru = receipt(Lang::Ru, &receipt_data());
        assert!(ru.subject.contains("5 000 ₸") && ru.text.contains("Номер пожертвования: p-1"), "{ru:?}");
        assert!(ru.text.contains("25 ноября 2026, 14:05"), "Almaty's time, the language's date: {}", ru.text);
        assert!(ru.html.contains("Айгерим &lt;b&gt;") && !ru.html.contains("<b>"));
        assert!(ru.html.contains("<html lang=\"ru\">"), "{}", ru.html);
        let en = receipt(Lang::En, &receipt_data());
        assert!(en.text.contains("School: 5 000 ₸ of 225 000 ₸"), "{}", en.text);
        let kk = receipt(Lang::Kk, &receipt_data());
        assert!(kk.subject.contains("Рахмет") && kk.text.contains("Қайырымдылық нөмірі: p-1"), "{kk:?}");
    }

    #[test]
    fn a_donors_name_is_isolated_from_the_sentence_around_it() {
        let mut data = receipt_data();
        data.donor_name = Some("\u{202E}Айгерим <b>".into());
        let ru = receipt(Lang::Ru, &data);
        assert!(ru.html.contains("Здравствуйте, <bdi>Айгерим &lt;b&gt;</bdi>!"), "{}", ru.html);
        assert!(ru.text.contains("Здравствуйте, \u{2068}Айгерим <b>\u{2069}!"), "{}", ru.text);
        assert!(!ru.html.contains('\u{202E}') && !ru.text.contains('\u{202E}'));
    }

    #[test]
    fn the_foundation_gets_the_applicants_details_escaped() {
        let mail = VolunteerMail {
            campaign: "Mentors",
            name: "Асель <script>",
            city: "Алматы",
            contact: "asel@example.kz",
            about: "Учитель\nматематики",
            locale: Some("kk"),
            id: "v-1",
            list_url: "https://dara.kz/api/v1/staff/volunteers?status=new",
            foundation: "Dara",
        };
        for lang in [Lang::Kk, Lang::Ru, Lang::En] {
            let m = volunteer_application(lang, &mail);
            assert!(m.subject.contains("Mentors") && !m.subject.contains("Асель"), "{}", m.subject);
            let details = ["Асель <script>", "Алматы", "asel@example.kz", "Учитель\nматематики", "v-1"];
            for part in details {
                assert!(m.text.contains(part), "{part} in {}", m.text);
            }
            assert!(m.html.contains("<bdi>Асель &lt;script&gt;</bdi>") && !m.html.contains("<script>"), "{}", m.html);
        }
    }

    #[test]
    fn every_mail_has_a_kazakh_text() {
        let notice = RefundNotice {
            amount: kzt(100_000),
            campaign: "Mentors".into(),
            pledge_id: "p-1".into(),
            foundation: "Dara".into(),
        };
        assert!(refund_notice(Lang::Kk, &notice).subject.contains("қайтарылды"));
        let confirm = confirmation(Lang::Kk, "Mentors", "https://c", "https://u", "Dara");
        assert!(confirm.text.contains("Жазылуды растау") && confirm.html.contains("href=\"https://c\""), "{confirm:?}");
        let post = NewsMail {
            campaign: "Mentors",
            title: "<Summer>",
            text_body: "Hello",
            html_body: "<p>Hello</p>",
            post_url: "https://p",
            unsubscribe_url: "https://u?a=1&b=2",
            foundation: "Dara",
        };
        let kk = news(Lang::Kk, &post);
        assert!(kk.subject.starts_with("Жаңалықтар"), "{}", kk.subject);
        assert!(kk.html.contains("<h1>&lt;Summer&gt;</h1><p>Hello</p>"), "{}", kk.html);
        assert!(kk.html.contains("href=\"https://u?a=1&amp;b=2\""), "{}", kk.html);
    }
}
