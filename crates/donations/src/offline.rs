//! Gifts that staff record by hand: cash, bank transfers, Kaspi transfers. They count at once.

use chrono::{DateTime, Utc};
use demeu_db::schema::pledges;
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Deserialize;

use crate::campaign::Campaign;
use crate::ids::StaffUserId;
use crate::ledger::{append_in, EntryKind, NewEntry};
use crate::ledger_source::LedgerSource;
use crate::money::Money;
use crate::pledge::{NewPledge, PaymentMethod, MAX_NAME_CHARS};
use crate::pledge_store::{self, PledgeRecord};
use crate::{Error, FieldError};
use demeu_db::email::Email;

/// What staff send to record an offline gift.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
pub struct OfflineGift {
    /// Minor units received: at most the campaign's `max_pledge` times
    /// `limits.offline_pledge_factor` (100 by default), so that a typo of extra zeros is refused.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub amount: i64,
    /// The donor, if known; up to 100 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub donor_name: Option<String>,
    /// For a receipt: an addr-spec, up to 254 characters.
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// How the money came.
    #[cfg_attr(feature = "openapi", schema(schema_with = offline_methods))]
    pub method: String,
    /// Receipt number, transfer id: how the books find it; 1 to 200 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub reference: String,
    /// When the money came; now when absent.
    pub received_at: Option<DateTime<Utc>>,
}

/// The schema of [`OfflineGift::method`]: the payment methods staff record by hand.
#[cfg(feature = "openapi")]
fn offline_methods() -> utoipa::openapi::Object {
    let offline = PaymentMethod::ALL.iter().filter(|m| m.is_offline()).map(|m| m.as_str());
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(offline))
        .build()
}

/// The largest offline gift `campaign` takes: its largest online pledge times `factor`.
pub fn ceiling(campaign: &Campaign, factor: u32) -> Money {
    let max = campaign.spec.max_pledge;
    Money::new(max.minor.saturating_mul(i64::from(factor)), max.currency)
}

/// Checks `gift`, then stores it as a pledge counted at once, with its ledger row, its audit
/// entry and `after` (the caller's follow-up, e.g. a receipt) in one transaction. `max_amount`
/// is the largest amount taken (see [`ceiling`]): a person types this amount, and no typo may
/// reach the totals.
pub fn record_offline(
    conn: &mut DbConn,
    campaign: &Campaign,
    gift: &OfflineGift,
    max_amount: Money,
    actor: StaffUserId,
    now: DateTime<Utc>,
    after: &dyn Fn(&mut DbConn, &PledgeRecord) -> Result<(), Error>,
) -> Result<PledgeRecord, Error> {
    // A draft is not a campaign donors know yet: money for it is recorded once it is open. A
    // closed one still takes what was given before it closed (a transfer arrives late).
    if campaign.state == crate::campaign::CampaignState::Draft {
        return Err(Error::Conflict("the campaign is a draft: open it before recording gifts".into()));
    }
    let mut errors = Vec::new();
    // The gift counts minor units of the campaign's currency.
    let amount = Money::new(gift.amount, campaign.spec.currency);
    if !amount.is_positive() || amount > max_amount {
        errors.push(crate::money::amount_out_of_range(Money::new(1, max_amount.currency), max_amount));
    }
    let method = match gift.method.parse::<PaymentMethod>() {
        Ok(m) if m.is_offline() => Some(m),
        _ => {
            errors.push(FieldError::one_of("method", &["cash", "bank_transfer", "kaspi"]));
            None
        }
    };
    let reference = gift.reference.trim();
    if reference.is_empty() || reference.chars().count() > 200 {
        errors.push(FieldError::chars_between("reference", 1, 200));
    }
    let donor_name = gift.donor_name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    if donor_name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
        errors.push(FieldError::at_most_chars("donor_name", MAX_NAME_CHARS));
    }
    let email = match gift.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => match Email::parse(raw) {
            Ok(e) => Some(e.into_string()),
            Err(why) => {
                errors.push(FieldError::email("email", why));
                None
            }
        },
    };
    let received_at = gift.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        errors.push(FieldError::new("received_at", "is in the future").translated("error-future", Vec::new()));
    }
    let Some(method) = method.filter(|_| errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let new = NewPledge {
        campaign_id: campaign.id,
        amount,
        donor_name,
        email,
        anonymous: false,
        hide_amount: false,
        message: None,
        subscribe: false,
        method,
        reference: Some(reference.to_string()),
        provider: None,
        // Staff type it: the donor's language is not known, the receipt is the campaign's.
        locale: None,
        interval: crate::subscription::Interval::Once,
    };
    conn.write_transaction(|conn| {
        let id = pledge_store::insert(conn, &new)?;
        append_in(
            conn,
            &NewEntry {
                pledge_id: id,
                kind: EntryKind::OfflinePayment,
                amount: new.amount,
                source: LedgerSource::Offline { pledge_id: id },
            },
        )?;
        diesel::update(pledges::table.find(id.to_string()))
            .set(pledges::counted_at.eq(received_at.naive_utc()))
            .execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "pledge.offline",
            &format!("pledge:{id}"),
            &serde_json::json!({"amount": gift.amount, "method": method.as_str(), "reference": reference}),
        )?;
        let pledge = pledge_store::find(conn, id)?;
        after(conn, &pledge)?;
        Ok(pledge)
    })
}
