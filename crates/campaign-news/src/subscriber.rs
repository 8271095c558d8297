//! Subscribers: double opt-in by a mailed link; every mail carries its own unsubscribe link.
//! Tokens are random and only their hashes are stored.

use chrono::NaiveDateTime;
use demeu_db::schema::{subscribers, subscription_tokens};
use demeu_db::DbConn;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::ids::{CampaignId, SubscriberId};
use crate::{Error, FieldError};
use demeu_db::locale::Locale;

demeu_db::stored_enum! {
    /// What a token is for.
    pub enum Purpose("token purpose") {
        /// The link in the confirmation mail.
        Confirm = "confirm",
        /// The link in every mail to a subscriber.
        Unsubscribe = "unsubscribe",
    }
}

demeu_db::stored_enum! {
    /// Where a subscriber is.
    pub enum SubscriberStatus("subscriber status") {
        /// Asked to confirm by the mailed link.
        Pending = "pending",
        /// Gets the news.
        Confirmed = "confirmed",
        /// Left; gets nothing until subscribing again.
        Unsubscribed = "unsubscribed",
    }
}

/// A stored subscriber.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscribers)]
pub struct Subscriber {
    /// Id.
    pub id: SubscriberId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Lower-case address.
    pub email: String,
    /// Where they are.
    pub status: SubscriberStatus,
    /// Subscribed.
    pub created_at: NaiveDateTime,
    /// Confirmed.
    pub confirmed_at: Option<NaiveDateTime>,
    /// Left.
    pub unsubscribed_at: Option<NaiveDateTime>,
    /// The language they subscribed in, when known: their mail's.
    pub locale: Option<Locale>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a token for `subscriber_id`, stores its hash and returns the token to mail.
pub fn issue_token(conn: &mut DbConn, subscriber_id: SubscriberId, purpose: Purpose) -> Result<String, Error> {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    diesel::insert_into(subscription_tokens::table)
        .values((
            subscription_tokens::token_hash.eq(hash(&token)),
            subscription_tokens::subscriber_id.eq(subscriber_id),
            subscription_tokens::purpose.eq(purpose),
            subscription_tokens::created_at.eq(demeu_db::now()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// A plausible address, lower-cased.
pub fn parse_email(raw: &str) -> Result<String, Error> {
    demeu_db::email::Email::parse(raw).map(|e| e.into_string()).map_err(|why| FieldError::email("email", why).into())
}

/// What subscribing did: a confirmation is due only for an address not yet asked.
#[derive(Debug, Clone)]
pub enum Subscribed {
    /// A new or returning address: mail it this confirmation token.
    ConfirmationDue {
        /// The subscriber.
        subscriber: Subscriber,
        /// For the confirmation link.
        token: String,
    },
    /// Already confirmed or already asked: nothing to send.
    Nothing,
}

/// Subscribes `email` to a campaign, inside the caller's transaction. An address already
/// pending or confirmed changes nothing, so that the answer to a second subscription reveals
/// nothing and sends nothing; an address that had unsubscribed is asked to confirm again.
/// `locale` is the language they subscribe in (kept for their mail; a returning subscriber's
/// is updated).
pub fn subscribe_in(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    email: &str,
    locale: Option<Locale>,
) -> Result<Subscribed, Error> {
    let email = parse_email(email)?;
    let now = demeu_db::now();
    let existing: Option<Subscriber> = subscribers::table
        .filter(subscribers::campaign_id.eq(campaign_id))
        .filter(subscribers::email.eq(&email))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?;
    let id = match existing {
        Some(s) if s.status != SubscriberStatus::Unsubscribed => return Ok(Subscribed::Nothing),
        Some(s) => {
            diesel::update(subscribers::table.find(s.id))
                .set((
                    subscribers::status.eq(SubscriberStatus::Pending),
                    subscribers::created_at.eq(now),
                    subscribers::unsubscribed_at.eq(None::<NaiveDateTime>),
                    subscribers::locale.eq(locale.or(s.locale)),
                ))
                .execute(conn)?;
            s.id
        }
        None => {
            let id = SubscriberId::new();
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(subscribers::table)
                    .values((
                        subscribers::id.eq(id),
                        subscribers::campaign_id.eq(campaign_id),
                        subscribers::email.eq(&email),
                        subscribers::status.eq(SubscriberStatus::Pending),
                        subscribers::created_at.eq(now),
                        subscribers::locale.eq(locale),
                    ))
                    .execute(conn)
            });
            match inserted {
                // Two subscriptions of one address at once: the other one asks.
                Err(e) if demeu_db::is_unique_violation(&e) => return Ok(Subscribed::Nothing),
                other => other?,
            };
            id
        }
    };
    let token = issue_token(conn, id, Purpose::Confirm)?;
    let subscriber = subscribers::table.find(id).select(Subscriber::as_select()).first(conn)?;
    Ok(Subscribed::ConfirmationDue { subscriber, token })
}

fn subscriber_for(conn: &mut DbConn, token: &str, purpose: Purpose) -> Result<Subscriber, Error> {
    let id: SubscriberId = subscription_tokens::table
        .filter(subscription_tokens::token_hash.eq(hash(token)))
        .filter(subscription_tokens::purpose.eq(purpose))
        .select(subscription_tokens::subscriber_id)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("token"))?;
    Ok(subscribers::table.find(id).select(Subscriber::as_select()).first(conn)?)
}

/// The subscriber a token of `purpose` belongs to, changing nothing: what a mailed link's page
/// shows before its button is pressed (mail scanners follow links, so following one must not
/// act).
pub fn find_by_token(conn: &mut DbConn, token: &str, purpose: Purpose) -> Result<Subscriber, Error> {
    subscriber_for(conn, token, purpose)
}

/// Confirms the subscription a confirmation token belongs to. Confirming twice is fine; a
/// subscriber who left since stays unsubscribed.
pub fn confirm(conn: &mut DbConn, token: &str) -> Result<Subscriber, Error> {
    conn.write_transaction(|conn| {
        let s = subscriber_for(conn, token, Purpose::Confirm)?;
        diesel::update(subscribers::table.find(s.id).filter(subscribers::status.eq(SubscriberStatus::Pending)))
            .set((subscribers::status.eq(SubscriberStatus::Confirmed), subscribers::confirmed_at.eq(demeu_db::now())))
            .execute(conn)?;
        Ok(subscribers::table.find(s.id).select(Subscriber::as_select()).first(conn)?)
    })
}

/// Unsubscribes the subscriber an unsubscribe token belongs to; idempotent.
pub fn unsubscribe(conn: &mut DbConn, token: &str) -> Result<Subscriber, Error> {
    conn.write_transaction(|conn| {
        let s = subscriber_for(conn, token, Purpose::Unsubscribe)?;
        diesel::update(subscribers::table.find(s.id).filter(subscribers::status.ne(SubscriberStatus::Unsubscribed)))
            .set((
                subscribers::status.eq(SubscriberStatus::Unsubscribed),
                subscribers::unsubscribed_at.eq(demeu_db::now()),
            ))
            .execute(conn)?;
        Ok(subscribers::table.find(s.id).select(Subscriber::as_select()).first(conn)?)
    })
}

/// The confirmed subscribers of a campaign.
pub fn confirmed(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<Subscriber>, Error> {
    Ok(subscribers::table
        .filter(subscribers::campaign_id.eq(campaign_id))
        .filter(subscribers::status.eq(SubscriberStatus::Confirmed))
        .order(subscribers::created_at.asc())
        .select(Subscriber::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_as_hashes() {
        let h = hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert!(parse_email("A@B.kz").is_ok());
        assert!(parse_email("nope").is_err());
    }
}
