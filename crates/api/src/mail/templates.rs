//! Every text Demeu mails, in Kazakh, Russian and English, in one place. The campaign's `locale` picks
//! the language. Each template gives a subject, a text part and an HTML part.

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

pub use crate::i18n::Lang;

pub use crate::html::escape;

/// Text a visitor wrote, isolated from what stands around it (Unicode's first-strong isolate …
/// pop directional isolate), so that a name in one script cannot reorder the sentence or the
/// amounts beside it; any bidirectional control inside is dropped (the site refuses them when
/// text comes in; this keeps older rows harmless). The HTML part shows the isolate as `<bdi>`.
fn isolate(text: &str) -> String {
    let inside: String = text.chars().filter(|&c| !demeu_db::text::is_bidi_control(c)).collect();
    format!("\u{2068}{inside}\u{2069}")
}

fn html_page(body: &str, footer: &str) -> String {
    // Every isolate in `body` came from `isolate` (escaping keeps the two characters as they
    // are): each becomes the element that says the same in HTML.
    let body = body.replace('\u{2068}', "<bdi>").replace('\u{2069}', "</bdi>");
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;max-width:36rem;margin:auto;line-height:1.5\">\
         {body}<hr><p style=\"color:#666;font-size:13px\">{footer}</p></body></html>"
    )
}

/// One budget line as a receipt shows it.
#[derive(Debug, Clone)]
pub struct LineState {
    /// Title.
    pub title: String,
    /// Funded so far, formatted.
    pub funded: String,
    /// Target, formatted; `None` for the line that takes the rest.
    pub target: Option<String>,
}

/// What a receipt says.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The donor, if named.
    pub donor_name: Option<String>,
    /// Formatted amount.
    pub amount: String,
    /// Campaign title.
    pub campaign: String,
    /// Date of payment, Almaty time, formatted.
    pub date: String,
    /// The pledge id.
    pub pledge_id: String,
    /// The lines the campaign's money is funding now.
    pub lines: Vec<LineState>,
    /// Who signs.
    pub foundation: String,
}

/// The receipt sent when a pledge is first counted.
pub fn receipt(lang: Lang, r: &Receipt) -> Rendered {
    let line_text = |l: &LineState, of: &str| match &l.target {
        Some(t) => format!("  • {}: {} {of} {t}", l.title, l.funded),
        None => format!("  • {}: {}", l.title, l.funded),
    };
    let (subject, hello, thanks, what, date_l, id_l, lines_l, of) = match lang {
        Lang::Kk => (
            format!("Рахмет! Сіздің {} қайырымдылығыңыз түсті", r.amount),
            r.donor_name
                .as_ref()
                .map(|n| format!("Сәлеметсіз бе, {}!", isolate(n)))
                .unwrap_or_else(|| "Сәлеметсіз бе!".into()),
            "Қолдауыңызға рахмет.",
            format!("«{}» науқанына {} қайырымдылығыңызды алдық.", r.campaign, r.amount),
            "Күні",
            "Қайырымдылық нөмірі",
            "Науқан қаражаты қазір неге жұмсалуда:",
            "/",
        ),
        Lang::Ru => (
            format!("Спасибо! Ваше пожертвование {} получено", r.amount),
            r.donor_name
                .as_ref()
                .map(|n| format!("Здравствуйте, {}!", isolate(n)))
                .unwrap_or_else(|| "Здравствуйте!".into()),
            "Спасибо за вашу поддержку.",
            format!("Мы получили ваше пожертвование {} для кампании «{}».", r.amount, r.campaign),
            "Дата",
            "Номер пожертвования",
            "На что сейчас идут деньги кампании:",
            "из",
        ),
        Lang::En => (
            format!("Thank you! Your gift of {} has arrived", r.amount),
            r.donor_name.as_ref().map(|n| format!("Hello {},", isolate(n))).unwrap_or_else(|| "Hello,".into()),
            "Thank you for your support.",
            format!("We received your gift of {} to the campaign \"{}\".", r.amount, r.campaign),
            "Date",
            "Pledge number",
            "What the campaign's money is funding now:",
            "of",
        ),
    };
    let lines: Vec<String> = r.lines.iter().map(|l| line_text(l, of)).collect();
    let text = format!(
        "{hello}\n\n{what}\n{thanks}\n\n{date_l}: {}\n{id_l}: {}\n\n{lines_l}\n{}\n\n{}\n",
        r.date,
        r.pledge_id,
        lines.join("\n"),
        r.foundation
    );
    let html_lines: String = r
        .lines
        .iter()
        .map(|l| match &l.target {
            Some(t) => format!("<li>{}: {} {of} {}</li>", escape(&l.title), escape(&l.funded), escape(t)),
            None => format!("<li>{}: {}</li>", escape(&l.title), escape(&l.funded)),
        })
        .collect();
    let html = html_page(
        &format!(
            "<p>{}</p><p>{}<br>{}</p><p>{date_l}: {}<br>{id_l}: <code>{}</code></p><p>{lines_l}</p><ul>{html_lines}</ul>",
            escape(&hello),
            escape(&what),
            thanks,
            escape(&r.date),
            escape(&r.pledge_id)
        ),
        &escape(&r.foundation),
    );
    Rendered { subject, text, html }
}

/// What a refund notice says.
#[derive(Debug, Clone)]
pub struct RefundNotice {
    /// Formatted amount returned now.
    pub amount: String,
    /// Campaign title.
    pub campaign: String,
    /// The pledge id.
    pub pledge_id: String,
    /// Who signs.
    pub foundation: String,
}

/// The notice sent when a refund is counted.
pub fn refund_notice(lang: Lang, r: &RefundNotice) -> Rendered {
    let (subject, body, id_l) = match lang {
        Lang::Kk => (
            format!("{} қайтарылды", r.amount),
            format!("«{}» науқанына берген қайырымдылығыңыздан {} қайтардық.", r.campaign, r.amount),
            "Қайырымдылық нөмірі",
        ),
        Lang::Ru => (
            format!("Возврат {} оформлен", r.amount),
            format!("Мы вернули вам {} из вашего пожертвования кампании «{}».", r.amount, r.campaign),
            "Номер пожертвования",
        ),
        Lang::En => (
            format!("Refund of {} made", r.amount),
            format!("We refunded {} of your gift to the campaign \"{}\".", r.amount, r.campaign),
            "Pledge number",
        ),
    };
    let text = format!("{body}\n{id_l}: {}\n\n{}\n", r.pledge_id, r.foundation);
    let html = html_page(
        &format!("<p>{}</p><p>{id_l}: <code>{}</code></p>", escape(&body), escape(&r.pledge_id)),
        &escape(&r.foundation),
    );
    Rendered { subject, text, html }
}

/// The mail asking a new subscriber to confirm.
pub fn confirmation(
    lang: Lang,
    campaign: &str,
    confirm_url: &str,
    unsubscribe_url: &str,
    foundation: &str,
) -> Rendered {
    let (subject, body, action, ignore, leave) = match lang {
        Lang::Kk => (
            format!("«{campaign}» жаңалықтарына жазылуды растаңыз"),
            format!("Сіз «{campaign}» науқанының жаңалықтарына жазылдыңыз."),
            "Жазылуды растау",
            "Егер бұл сіз болмасаңыз, бұл хатқа жауап бермеңіз.",
            "Жазылудан бас тарту",
        ),
        Lang::Ru => (
            format!("Подтвердите подписку на новости «{campaign}»"),
            format!("Вы подписались на новости кампании «{campaign}»."),
            "Подтвердить подписку",
            "Если это были не вы, просто не отвечайте на это письмо.",
            "Отписаться",
        ),
        Lang::En => (
            format!("Confirm your subscription to \"{campaign}\""),
            format!("You asked for news of the campaign \"{campaign}\"."),
            "Confirm the subscription",
            "If this was not you, ignore this mail.",
            "Unsubscribe",
        ),
    };
    let text = format!("{body}\n\n{action}: {confirm_url}\n\n{ignore}\n\n{leave}: {unsubscribe_url}\n{foundation}\n");
    let html = html_page(
        &format!("<p>{}</p><p><a href=\"{}\">{action}</a></p><p>{ignore}</p>", escape(&body), escape(confirm_url)),
        &format!("{} · <a href=\"{}\">{leave}</a>", escape(foundation), escape(unsubscribe_url)),
    );
    Rendered { subject, text, html }
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
    /// The post's sanitized HTML.
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
    let (prefix, read, leave) = match lang {
        Lang::Kk => ("Жаңалықтар", "Сайттан оқу", "Жазылудан бас тарту"),
        Lang::Ru => ("Новости", "Читать на сайте", "Отписаться"),
        Lang::En => ("News", "Read it online", "Unsubscribe"),
    };
    let subject = format!("{prefix} «{campaign}»: {title}");
    let text = format!("{title}\n\n{text_body}\n\n{read}: {post_url}\n\n{leave}: {unsubscribe_url}\n{foundation}\n");
    let html = html_page(
        &format!("<h1>{}</h1>{html_body}<p><a href=\"{}\">{read}</a></p>", escape(title), escape(post_url)),
        &format!("{} · <a href=\"{}\">{leave}</a>", escape(foundation), escape(unsubscribe_url)),
    );
    Rendered { subject, text, html }
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
    #[rustfmt::skip]
    let (subject, intro, name_l, city_l, contact_l, age_l, age_v, locale_l, about_l, id_l, list_l) = match lang {
        Lang::Kk => (
            format!("Тәлімгерлікке жаңа өтінім: «{}»", m.campaign),
            format!("«{}» науқанының бетінен тәлімгер болуға жаңа өтінім келді.", m.campaign),
            "Аты", "Қала", "Байланыс", "Жасы 25-тен асқан", "расталды", "Бет тілі", "Өзі туралы",
            "Өтінім нөмірі", "Жаңа өтінімдер тізімі",
        ),
        Lang::Ru => (
            format!("Новая заявка в наставники: «{}»", m.campaign),
            format!("Со страницы кампании «{}» пришла заявка стать наставником.", m.campaign),
            "Имя", "Город", "Контакт", "Возраст 25+", "подтверждён", "Язык страницы", "О себе",
            "Номер заявки", "Список новых заявок",
        ),
        Lang::En => (
            format!("New mentor application: \"{}\"", m.campaign),
            format!("Someone offered to become a mentor on the page of the campaign \"{}\".", m.campaign),
            "Name", "City", "Contact", "Aged 25 or older", "confirmed", "Page language", "About",
            "Application number", "New applications",
        ),
    };
    let locale = m.locale.unwrap_or("-");
    let about = if m.about.is_empty() { "-".to_string() } else { isolate(m.about) };
    let text = format!(
        "{intro}\n\n{name_l}: {}\n{city_l}: {}\n{contact_l}: {}\n{age_l}: {age_v}\n{locale_l}: {locale}\n\n\
         {about_l}:\n{about}\n\n{id_l}: {}\n{list_l}: {}\n\n{}\n",
        isolate(m.name),
        isolate(m.city),
        isolate(m.contact),
        m.id,
        m.list_url,
        m.foundation
    );
    let row = |label: &str, value: &str| {
        format!("<tr><th align=\"left\">{}</th><td>{}</td></tr>", escape(label), escape(value))
    };
    let html = html_page(
        &format!(
            "<p>{}</p><table>{}{}{}{}{}</table><p><b>{}</b></p><p style=\"white-space:pre-wrap\">{}</p>\
             <p>{id_l}: <code>{}</code><br><a href=\"{}\">{list_l}</a></p>",
            escape(&intro),
            row(name_l, &isolate(m.name)),
            row(city_l, &isolate(m.city)),
            row(contact_l, &isolate(m.contact)),
            row(age_l, age_v),
            row(locale_l, locale),
            escape(about_l),
            escape(&about),
            escape(m.id),
            escape(m.list_url),
        ),
        &escape(m.foundation),
    );
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt_data() -> Receipt {
        Receipt {
            donor_name: Some("Айгерим <b>".into()),
            amount: "5 000 ₸".into(),
            campaign: "Mentors".into(),
            date: "25.11.2026".into(),
            pledge_id: "p-1".into(),
            lines: vec![LineState {
                title: "School".into(),
                funded: "5 000 ₸".into(),
                target: Some("225 000 ₸".into()),
            }],
            foundation: "Dara".into(),
        }
    }

    #[test]
    fn receipts_speak_both_languages_and_escape_html() {
        let ru = receipt(Lang::Ru, &receipt_data());
        assert!(ru.subject.contains("5 000 ₸") && ru.text.contains("Номер пожертвования: p-1"));
        assert!(ru.html.contains("Айгерим &lt;b&gt;") && !ru.html.contains("<b>"));
        let en = receipt(Lang::En, &receipt_data());
        assert!(en.text.contains("School: 5 000 ₸ of 225 000 ₸"));
    }

    #[test]
    fn a_donors_name_is_isolated_from_the_sentence_around_it() {
        let mut data = receipt_data();
        data.donor_name = Some("\u{202E}Айгерим <b>".into());
        let ru = receipt(Lang::Ru, &data);
        assert!(ru.html.contains("Здравствуйте, <bdi>Айгерим &lt;b&gt;</bdi>!"), "{}", ru.html);
        assert!(ru.text.contains("Здравствуйте, \u{2068}Айгерим <b>\u{2069}!"), "{}", ru.text);
        assert!(!ru.html.contains('\u{202E}') && !ru.text.contains('\u{202E}'));
        assert_eq!(Lang::of(donations::campaign::Locale::En), Lang::En);
        assert_eq!(Lang::of(donations::campaign::Locale::Ru), Lang::Ru);
        assert_eq!(Lang::of(donations::campaign::Locale::Kk), Lang::Kk);
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
            assert!(m.html.contains("Асель &lt;script&gt;") && !m.html.contains("<script>"), "{}", m.html);
        }
    }

    #[test]
    fn every_mail_has_a_kazakh_text() {
        let kk = receipt(Lang::Kk, &receipt_data());
        assert!(kk.subject.contains("Рахмет") && kk.text.contains("Қайырымдылық нөмірі: p-1"), "{kk:?}");
        let notice = RefundNotice {
            amount: "1 000 ₸".into(),
            campaign: "Mentors".into(),
            pledge_id: "p-1".into(),
            foundation: "Dara".into(),
        };
        assert!(refund_notice(Lang::Kk, &notice).subject.contains("қайтарылды"));
        assert!(confirmation(Lang::Kk, "Mentors", "https://c", "https://u", "Dara").text.contains("Жазылуды растау"));
    }
}
