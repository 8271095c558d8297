//! What a donor is told of a pledge that did not pay, wherever they meet it (the campaign page
//! a checkout sends them back to, the thanks page): what happened as far as the provider said,
//! that nothing was charged, and one button that gives the same gift again.

use donations::pledge::{DeclineReason, DisplayStatus};
use donations::pledge_store::PledgeRecord;
use maud::{html, Markup};

use super::forms::GiveValues;
use crate::format::money;
use crate::i18n::Tr;

/// A heading and a sentence for `pledge`, which has not paid: still waiting (the donor came
/// back from the checkout without paying), failed (and why, when the provider said), expired
/// or canceled.
pub fn words(tr: &Tr, pledge: &PledgeRecord) -> (String, String) {
    let why = |key: &str| tr.t(key);
    match pledge.display_status() {
        DisplayStatus::Failed => {
            let reason = pledge
                .decline_reason
                .map_or_else(|| why("unpaid-failed"), |r: DeclineReason| why(&format!("decline-{}", r.as_str())));
            (tr.t("unpaid-failed-heading"), reason)
        }
        DisplayStatus::Expired => (tr.t("unpaid-expired-heading"), why("unpaid-expired")),
        DisplayStatus::Canceled => (tr.t("unpaid-canceled-heading"), why("unpaid-canceled")),
        _ => (tr.t("unpaid-left-heading"), why("unpaid-left")),
    }
}

/// The notice at the top of the give form: what happened, and its one button.
pub fn notice(tr: &Tr, slug: &str, pledge: &PledgeRecord) -> Markup {
    let (heading, why) = words(tr, pledge);
    html! {
        div.alert.unpaid #unpaid role="alert" tabindex="-1" aria-labelledby="unpaid-heading" {
            h3 #unpaid-heading { (heading) }
            p { (why) " " (tr.t("unpaid-no-charge")) }
            (try_again(tr, slug, pledge))
        }
    }
}

/// The one button: a form that posts the same gift again (amount, name, email, choices and
/// words as the donor gave them), to a new checkout.
pub fn try_again(tr: &Tr, slug: &str, pledge: &PledgeRecord) -> Markup {
    let amount = GiveValues::amount_of(pledge.amount, &[]).amount_other;
    let hidden = |name: &str, value: &str| html! { input type="hidden" name=(name) value=(value); };
    let checked = |name: &str, on: bool| html! { @if on { (hidden(name, "on")) } };
    html! {
        form.try-again method="post" action={ "/campaigns/" (slug) "/give?lang=" (tr.lang.code()) "#give" } {
                (hidden("key", ""))
                (hidden("amount_other", &amount))
                (hidden("donor_name", pledge.donor_name.as_deref().unwrap_or("")))
                (hidden("email", pledge.email.as_deref().unwrap_or("")))
                (hidden("message", pledge.message.as_deref().unwrap_or("")))
                (checked("anonymous", pledge.anonymous))
                (checked("hide_amount", pledge.hide_amount))
                (checked("subscribe", pledge.subscribe))
                @if pledge.subscription_id.is_some() { (hidden("interval", "month")) }
                button type="submit" { (tr.t_with("unpaid-try-again", &[("amount", money(tr.lang, pledge.amount).into())])) }
        }
    }
}
