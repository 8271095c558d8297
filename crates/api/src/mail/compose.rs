//! Mail enqueued by what happens: receipts and refund notices when money is counted, the
//! confirmation when someone subscribes, a post to each confirmed subscriber when it is first
//! published. Each runs inside the transaction of the change it reports, with a dedupe key that
//! makes a repeat enqueue nothing.

use chrono::Utc;
use demeu_db::outbox::{enqueue, OutgoingMail};
use demeu_db::DbConn;
use donations::allocation::allocate;
use donations::campaign::{Campaign, Locale};
use donations::money::Money;
use donations::pledge_store::PledgeRecord;
use donations::subscription::Subscription;

use super::templates::{self, Lang, LineState, Receipt, RefundNotice, Rendered};
use super::MailError;
use crate::settings::Settings;

/// What every mail needs to know about this installation.
#[derive(Debug, Clone)]
pub struct MailContext {
    /// Links are built on it.
    pub public_url: String,
    /// Where "join the mentors' team" applications are mailed (`foundation.volunteers_email`);
    /// `None`: nowhere.
    pub volunteers_email: Option<String>,
}

impl MailContext {
    /// From the configuration.
    pub fn from_settings(settings: &Settings) -> Self {
        MailContext {
            public_url: settings.public_url().to_string(),
            volunteers_email: settings.foundation.volunteers_email().map(str::to_string),
        }
    }

    /// The donor's own page, opening in `lang` (where they ask for a sign-in link).
    pub fn donor_url(&self, lang: Lang) -> String {
        format!("{}/donor?lang={}", self.public_url, lang.code())
    }

    /// A campaign's page in `lang`.
    fn campaign_url(&self, slug: &str, lang: Lang) -> String {
        format!("{}/campaigns/{slug}?lang={}", self.public_url, lang.code())
    }

    /// The unsubscribe link of a mail in `lang`: its page opens in the mail's language.
    fn unsubscribe_url(&self, token: &str, lang: Lang) -> String {
        format!("{}/api/v1/subscriptions/unsubscribe?token={token}&lang={}", self.public_url, lang.code())
    }
}

fn out(
    recipient: &str,
    rendered: Rendered,
    kind: &str,
    dedupe_key: String,
    headers: Vec<(String, String)>,
) -> OutgoingMail {
    OutgoingMail {
        recipient: recipient.to_string(),
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
        headers,
        kind: kind.to_string(),
        dedupe_key,
    }
}

fn list_headers(unsubscribe_url: &str) -> Vec<(String, String)> {
    vec![
        ("List-Unsubscribe".to_string(), format!("<{unsubscribe_url}>")),
        ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()),
    ]
}

/// The language a reader's mail is written in: theirs when it was stored (the page they gave
/// or subscribed on), else the campaign's.
fn reader_language(stored: Option<Locale>, campaign: &Campaign) -> Lang {
    Lang::of(stored.unwrap_or(campaign.spec.locale))
}

/// The receipt for a pledge's first counted money, if the donor left an address; a monthly
/// gift's charge says so, and where it is changed or stopped.
pub fn receipt(
    conn: &mut DbConn,
    ctx: &MailContext,
    pledge: &PledgeRecord,
    campaign: &Campaign,
) -> Result<(), MailError> {
    let Some(email) = &pledge.email else { return Ok(()) };
    let lang = reader_language(pledge.locale, campaign);
    let raised = donations::totals::of(conn, campaign.id, campaign.spec.currency)?.net_raised;
    let allocation = allocate(&campaign.spec.plan, raised);
    let lines = campaign
        .spec
        .plan
        .lines()
        .iter()
        .zip(&allocation.lines)
        .filter(|(_, f)| f.funded.is_positive())
        .map(|(line, f)| LineState {
            title: line.titles.shown(lang.locale(), campaign.spec.locale).to_string(),
            funded: f.funded,
            target: line.target,
        })
        .collect();
    let counted_at = pledge.counted_at.map(demeu_db::utc).unwrap_or_else(Utc::now);
    let rendered = templates::receipt(
        lang,
        &Receipt {
            donor_name: if pledge.anonymous { None } else { pledge.donor_name.clone() },
            amount: pledge.received,
            campaign: campaign.title(lang.locale()).to_string(),
            counted_at,
            pledge_id: pledge.id.to_string(),
            lines,
            monthly_manage_url: pledge.subscription_id.map(|_| ctx.donor_url(lang)),
            check: pledge
                .receipt_code
                .as_ref()
                .map(|code| (code.clone(), format!("{}/receipts/{code}?lang={}", ctx.public_url, lang.code()))),
            foundation: signature(conn, lang, true)?,
        },
    );
    enqueue(conn, &out(email, rendered, "receipt", format!("receipt:{}", pledge.id), Vec::new()))?;
    Ok(())
}

/// The notice of a counted refund; `refunded_total` makes the key unique per refund.
pub fn refund_notice(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    campaign: &Campaign,
    amount: Money,
) -> Result<(), MailError> {
    let Some(email) = &pledge.email else { return Ok(()) };
    let lang = reader_language(pledge.locale, campaign);
    let rendered = templates::refund_notice(
        lang,
        &RefundNotice {
            amount,
            campaign: campaign.title(lang.locale()).to_string(),
            pledge_id: pledge.id.to_string(),
            foundation: signature(conn, lang, true)?,
        },
    );
    let key = format!("refund:{}:{}", pledge.id, pledge.refunded.minor);
    enqueue(conn, &out(email, rendered, "refund", key, Vec::new()))?;
    Ok(())
}

/// Subscribes `email` in `locale` (the language they subscribe in, when known) and, if a
/// confirmation is due, enqueues it in their language.
pub fn subscribe(
    conn: &mut DbConn,
    ctx: &MailContext,
    campaign: &Campaign,
    email: &str,
    locale: Option<Locale>,
) -> Result<(), MailError> {
    use campaign_news::subscriber::{issue_token, subscribe_in, Purpose, Subscribed};
    let Subscribed::ConfirmationDue { subscriber, token } = subscribe_in(conn, campaign.id, email, locale)? else {
        return Ok(());
    };
    let lang = reader_language(subscriber.locale, campaign);
    let unsubscribe = ctx.unsubscribe_url(&issue_token(conn, subscriber.id, Purpose::Unsubscribe)?, lang);
    let confirm = format!("{}/api/v1/subscriptions/confirm?token={token}&lang={}", ctx.public_url, lang.code());
    let rendered = templates::confirmation(
        lang,
        campaign.title(lang.locale()),
        &confirm,
        &unsubscribe,
        &signature(conn, lang, false)?,
    );
    // Keyed by the token: a fresh subscription after an unsubscribe is asked again.
    let key = format!("confirm:{}:{}", subscriber.id, &token[..16]);
    enqueue(conn, &out(&subscriber.email, rendered, "confirmation", key, list_headers(&unsubscribe)))?;
    Ok(())
}

/// One mail per confirmed subscriber for a post published the first time.
pub fn news(
    conn: &mut DbConn,
    ctx: &MailContext,
    campaign: &Campaign,
    post: &campaign_news::post::Post,
) -> Result<usize, MailError> {
    use campaign_news::subscriber::{confirmed, issue_token, Purpose};
    let post_url = format!("{}/api/v1/campaigns/{}/news/{}", ctx.public_url, campaign.spec.slug, post.slug);
    let mut queued = 0;
    for subscriber in confirmed(conn, campaign.id)? {
        let lang = reader_language(subscriber.locale, campaign);
        let unsubscribe = ctx.unsubscribe_url(&issue_token(conn, subscriber.id, Purpose::Unsubscribe)?, lang);
        let foundation = signature(conn, lang, false)?;
        let rendered = templates::news(
            lang,
            &templates::NewsMail {
                campaign: campaign.title(lang.locale()),
                title: &post.title,
                text_body: &post.body_markdown,
                html_body: &post.body_html,
                post_url: &post_url,
                unsubscribe_url: &unsubscribe,
                foundation: &foundation,
            },
        );
        let key = format!("news:{}:{}", post.id, subscriber.id);
        if enqueue(conn, &out(&subscriber.email, rendered, "news", key, list_headers(&unsubscribe)))? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The foundation's mail about a new "join the mentors' team" application, with the applicant's
/// details, when `foundation.volunteers_email` is set; inside the transaction that stores the
/// application, so that both are kept or neither. An applicant who left an email address is
/// the mail's Reply-To, so that answering reaches them.
pub fn volunteer_application(
    conn: &mut DbConn,
    ctx: &MailContext,
    campaign: &Campaign,
    volunteer: &campaign_news::volunteer::Volunteer,
) -> Result<bool, MailError> {
    let Some(to) = &ctx.volunteers_email else { return Ok(false) };
    let list_url = format!("{}/api/v1/staff/volunteers?status=new", ctx.public_url);
    let foundation = signature(conn, Lang::of(campaign.spec.locale), false)?;
    let rendered = templates::volunteer_application(
        Lang::of(campaign.spec.locale),
        &templates::VolunteerMail {
            campaign: campaign.title(campaign.spec.locale),
            name: &volunteer.name,
            city: &volunteer.city,
            contact: &volunteer.contact,
            about: &volunteer.about,
            locale: volunteer.locale.map(|l| l.as_str()),
            id: &volunteer.id.to_string(),
            list_url: &list_url,
            foundation: &foundation,
        },
    );
    // Only an addr-spec, which holds nothing a header could be broken with.
    let headers = demeu_db::email::Email::parse(&volunteer.contact)
        .map(|email| vec![("Reply-To".to_string(), email.into_string())])
        .unwrap_or_default();
    Ok(enqueue(conn, &out(to, rendered, "volunteer", format!("volunteer:{}", volunteer.id), headers))?)
}

/// The mail with a donor's sign-in `token` for `email`, in `lang` (the page they asked on).
pub fn donor_link(conn: &mut DbConn, ctx: &MailContext, email: &str, token: &str, lang: Lang) -> Result<(), MailError> {
    let url = format!("{}/donor?token={token}&lang={}", ctx.public_url, lang.code());
    let minutes = crate::auth::donor::LINK_MINUTES;
    let rendered = templates::sign_in_link(lang, &url, minutes, &signature(conn, lang, false)?);
    // Keyed by the token: each link asked for is its own mail.
    enqueue(conn, &out(email, rendered, "donor-link", format!("donor-link:{}", &token[..16]), Vec::new()))?;
    Ok(())
}

/// Tells the donor of monthly gift `gift` what happened to it (`news`), in the language they
/// gave in; keyed so that one event mails once (`key`: what makes this news unique for the gift).
pub fn monthly(
    conn: &mut DbConn,
    ctx: &MailContext,
    gift: &Subscription,
    news: templates::MonthlyNews,
    key: &str,
) -> Result<(), MailError> {
    let campaign = donations::campaign::find_by_id(conn, gift.campaign_id)?;
    let first = donations::pledge_store::find(conn, gift.first_pledge_id)?;
    let lang = reader_language(first.locale, &campaign);
    let news = match news {
        // The successor is named in the donor's language.
        templates::MonthlyNews::Moved { next } => {
            let successor = donations::campaign::find_by_slug(conn, &next)?;
            templates::MonthlyNews::Moved { next: successor.title(lang.locale()).to_string() }
        }
        other => other,
    };
    let rendered = templates::monthly(
        lang,
        &templates::MonthlyMail {
            news,
            amount: gift.amount,
            campaign: campaign.title(lang.locale()).to_string(),
            manage_url: ctx.donor_url(lang),
            campaign_url: ctx.campaign_url(&campaign.spec.slug, lang),
            foundation: signature(conn, lang, false)?,
        },
    );
    enqueue(conn, &out(&gift.email, rendered, "monthly", format!("monthly:{}:{key}", gift.id), Vec::new()))?;
    Ok(())
}

/// How a mail is signed in `lang`: the foundation's name, or (a receipt, a refund notice) its
/// legal details, "Общественный фонд «Дара», БИН …, address", as stored now.
fn signature(conn: &mut DbConn, lang: Lang, legal: bool) -> Result<String, MailError> {
    let identity = campaign_news::foundation::get(conn)?.unwrap_or_default();
    let lang = lang.locale();
    Ok(if legal { identity.legal_line(lang) } else { identity.name(lang).to_string() })
}
