//! TipTop Pay's notifications: `check` (may this payment go ahead?), `pay`, `fail`, `confirm`,
//! `refund` and `cancel`, each POSTed to its own URL, form-encoded by default (JSON when the
//! merchant settings ask for it), signed by `Content-HMAC` (and `X-Content-HMAC`): base64 of
//! HMAC-SHA256 over the raw body, keyed by the API secret.
//!
//! Field names and codes, and their sources (see the parent module for the documents):
//! - every notification: `TransactionId` (number), `Amount` (major units, decimal), `Currency`,
//!   `DateTime` (`yyyy-MM-dd HH:mm:ss`, UTC), `InvoiceId` (our pledge id, sent as the order's
//!   InvoiceId), `Data` (the order's JsonData, a JSON text), `TestMode` (`1`/`0`) —
//!   izatop/cloudpayments `TransactionNotification`, CloudPayments "Уведомления";
//! - `pay`/`check`/`confirm`: `Status` `Completed` (one-stage) or `Authorized` (two-stage,
//!   counted on `confirm`) — izatop `TransactionStatus`;
//! - `fail`: `Reason`, `ReasonCode`; `refund`: `TransactionId` is the refund's own,
//!   `PaymentTransactionId` the refunded payment's, `Amount` this refund's — izatop
//!   `FailNotification`, `RefundNotification`;
//! - the answer: `{"code": 0}` accepts; `check` refuses with 10 (unknown InvoiceId), 12 (wrong
//!   amount), 13 (cannot be accepted, for any other reason) or 20 (payment overdue) — the
//!   `CheckCodes` of izatop/cloudpayments and CloudPayments "Уведомления: Check". Code 11
//!   (wrong AccountId) is never used: an AccountId that is no gift of ours is an unknown one (10).
//! - monthly gifts: `pay`, `check` and `fail` of a subscription's charge carry `SubscriptionId`
//!   ("для рекуррентных платежей") and the order's `AccountId` (our subscription's id: Demeu
//!   sends it as the AccountId of a monthly order); whether they carry the first order's
//!   `InvoiceId` the reference does not say, so a charge is known by those two. `recurrent`
//!   reports the subscription's state: `Id` (`sc_…`), `AccountId`, `Status` (`Active`,
//!   `PastDue` after one or two failed charges in a row, `Cancelled`, `Rejected` after three,
//!   `Expired` after its last period), `SuccessfulTransactionsNumber`,
//!   `FailedTransactionsNumber` — CloudPayments "Уведомление Recurrent" and "Статусы подписок".

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use donations::money::{Currency, Money, Stated};
use donations::payment_check::Verdict;
use donations::payment_events::{Delivery, PaymentEvent};
use donations::pledge::{DeclineReason, PledgeState};
use donations::subscription::SubscriptionStatus;
use encoding_rs::Encoding;
use hmac::{Hmac, Mac};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::Sha256;

use crate::payments::provider_id::ProviderId;

/// The provider's name in the inbox (`webhook_events.provider`).
pub const PROVIDER: &str = "tiptoppay";

/// The notification kinds, as the last segment of their URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Before the card is charged: may it be?
    Check,
    /// A payment went through (`Completed`), or was authorized (`Authorized`).
    Pay,
    /// A payment attempt was declined.
    Fail,
    /// An authorized payment was captured.
    Confirm,
    /// A payment was refunded, in full or in part.
    Refund,
    /// An authorized payment was canceled.
    Cancel,
    /// A subscription's state changed.
    Recurrent,
}

impl Kind {
    /// The URL segment, also the inbox's event type.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::Pay => "pay",
            Kind::Fail => "fail",
            Kind::Confirm => "confirm",
            Kind::Refund => "refund",
            Kind::Cancel => "cancel",
            Kind::Recurrent => "recurrent",
        }
    }

    /// Every kind, for the route's documentation.
    pub const ALL: [Kind; 7] =
        [Kind::Check, Kind::Pay, Kind::Fail, Kind::Confirm, Kind::Refund, Kind::Cancel, Kind::Recurrent];

    /// The kind named by `segment`.
    pub fn parse(segment: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == segment)
    }
}

/// Why a notification was refused (answered 400, nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// No signature header matches the body.
    #[error("the Content-HMAC signature is missing or does not match the body")]
    Signature,
    /// The body is neither a form nor a JSON object.
    #[error("the body is not {0}")]
    Body(&'static str),
    /// A field is missing or malformed.
    #[error("`{field}`: {why}")]
    Field {
        /// The provider's field name.
        field: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

fn field_error(field: &'static str, why: impl Into<String>) -> NotificationError {
    NotificationError::Field { field, why: why.into() }
}

/// Checks a notification's signature, in constant time, against the bytes TipTop Pay signed:
/// the body of a POST, the query string of a GET (its default method), as received.
///
/// - `Content-HMAC` is base64 of HMAC-SHA256 over those bytes exactly as sent, keyed by the API
///   secret: verified exactly.
/// - `X-Content-HMAC` is the same over the URL-decoded parameters (CloudPayments' reference,
///   "Проверка уведомлений"). It is taken when it matches the bytes as sent (nothing was
///   encoded), or their decoding where that decoding is unambiguous: a decoded `&` or `=` (sent
///   as `%26`, `%3D`) would let differently split parameters share one signature, so such a
///   notification must carry a matching `Content-HMAC`.
pub fn verify(
    signed: &[u8],
    content_hmac: Option<&str>,
    x_content_hmac: Option<&str>,
    secret: &str,
) -> Result<(), NotificationError> {
    use base64::Engine;
    let matches = |header: &str, bytes: &[u8]| {
        let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else { return false };
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(bytes);
        mac.verify_slice(&given).is_ok()
    };
    if content_hmac.is_some_and(|header| matches(header, signed)) {
        return Ok(());
    }
    if let Some(header) = x_content_hmac {
        if matches(header, signed) || url_decoded(signed).is_some_and(|decoded| matches(header, &decoded)) {
            return Ok(());
        }
    }
    Err(NotificationError::Signature)
}

/// `bytes` URL-decoded (`+` as a space, `%XX` as its byte), if that decoding is unambiguous:
/// no `&` or `=` appears in it that was not in `bytes` already.
fn url_decoded(bytes: &[u8]) -> Option<Vec<u8>> {
    let plus: Vec<u8> = bytes.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
    let count = |text: &[u8], c: u8| text.iter().filter(|&&b| b == c).count();
    (count(&decoded, b'&') == count(bytes, b'&') && count(&decoded, b'=') == count(bytes, b'=')).then_some(decoded)
}

/// The character set a notification's text is in: TipTop Pay writes UTF-8 or, as the merchant
/// settings choose, Windows-1251, and says which in the Content-Type's `charset` when it sends
/// a body. Nothing said (a GET's query string, a body without it): each value is read as UTF-8
/// when it is UTF-8, else as Windows-1251 (Cyrillic in Windows-1251 is never valid UTF-8).
fn charset(content_type: Option<&str>) -> Result<Option<&'static Encoding>, NotificationError> {
    let stated = content_type.into_iter().flat_map(|t| t.split(';').skip(1)).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches('"').to_string())
    });
    let Some(label) = stated else { return Ok(None) };
    match Encoding::for_label(label.as_bytes()) {
        Some(encoding) if encoding == encoding_rs::UTF_8 || encoding == encoding_rs::WINDOWS_1251 => Ok(Some(encoding)),
        _ => Err(NotificationError::Body("in UTF-8 or Windows-1251 (the charset it names is neither)")),
    }
}

/// `bytes` as text in `charset` (see [`charset`] for none).
fn text(bytes: &[u8], charset: Option<&'static Encoding>) -> Result<String, NotificationError> {
    let encoding = match charset {
        Some(encoding) => encoding,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1251,
    };
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or(NotificationError::Body("text in UTF-8 or Windows-1251"))
}

/// A notification's fields by name, each as text (a JSON number or boolean as written).
#[derive(Debug, Clone, Default)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    /// Reads a form (the provider's default: a POST body, or a GET's query string) or, when
    /// `content_type` says JSON, a JSON object; in UTF-8 or Windows-1251 (see [`charset`]).
    /// JSON values are kept as written, so that an amount is never read through a float.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Fields, NotificationError> {
        let charset = charset(content_type)?;
        let is_json = content_type.is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if is_json {
            let object: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(&text(body, charset)?).map_err(|_| NotificationError::Body("a JSON object"))?;
            let fields = object
                .into_iter()
                .filter_map(|(name, raw)| {
                    let text = raw.get();
                    match serde_json::from_str::<Value>(text) {
                        Ok(Value::Null) => None,
                        Ok(Value::String(s)) => Some((name, s)),
                        _ => Some((name, text.to_string())),
                    }
                })
                .collect();
            Ok(Fields(fields))
        } else {
            // Empty values are kept: an empty field reads as absent (`get`), except where empty
            // and absent mean different things (`TestMode`).
            let decode = |raw: &[u8]| {
                let plus: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
                text(&percent_encoding::percent_decode(&plus).collect::<Vec<u8>>(), charset)
            };
            let mut fields = BTreeMap::new();
            for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, &[][..]),
                };
                fields.insert(decode(name)?, decode(value)?);
            }
            Ok(Fields(fields))
        }
    }

    /// The notification as text for the inbox: the form as sent (percent-encoded, so ASCII), or
    /// the JSON in its charset.
    pub fn payload(content_type: Option<&str>, body: &[u8]) -> Result<String, NotificationError> {
        text(body, charset(content_type)?)
    }

    fn get(&self, field: &'static str) -> Result<Option<String>, NotificationError> {
        self.0
            .get(field)
            .filter(|value| !value.is_empty())
            .map(|value| {
                ProviderId::parse(value).map(ProviderId::into_string).map_err(|e| field_error(field, e.to_string()))
            })
            .transpose()
    }

    fn required(&self, field: &'static str) -> Result<String, NotificationError> {
        self.get(field)?.ok_or_else(|| field_error(field, "is missing"))
    }

    /// A transaction id: a positive integer.
    fn transaction(&self, field: &'static str) -> Result<String, NotificationError> {
        let id = self.required(field)?;
        match id.parse::<i64>() {
            Ok(n) if n > 0 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
            _ => Err(field_error(field, "is not a transaction number")),
        }
    }

    /// An amount in minor units (every currency Demeu holds counts hundredths).
    fn amount(&self) -> Result<i64, NotificationError> {
        let text = self.required("Amount")?;
        let money =
            Money::from_major_decimal(&text, Currency::Kzt).map_err(|e| field_error("Amount", e.to_string()))?;
        if money.minor <= 0 {
            return Err(field_error("Amount", "must be above zero"));
        }
        Ok(money.minor)
    }

    /// `Amount` in `Currency`, as the notification states them.
    fn stated(&self) -> Result<Stated, NotificationError> {
        let minor = self.amount()?;
        Ok(Stated::new(minor, self.required("Currency")?))
    }

    /// `TestMode`: `1` (or a JSON `true`) for a payment on the test site, `0` (`false`) for a
    /// real one. Absent, as in a refund's or a cancellation's notification, it is no test; present
    /// but empty or anything else, the notification is refused: a test payment read as a real one
    /// would count money that never moved.
    fn test_mode(&self) -> Result<bool, NotificationError> {
        match self.0.get("TestMode").map(String::as_str) {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(_) => Err(field_error("TestMode", "is not 0 or 1")),
        }
    }

    /// When the provider made the transaction (UTC), if it says.
    fn date_time(&self) -> Result<Option<DateTime<Utc>>, NotificationError> {
        let Some(text) = self.get("DateTime")? else { return Ok(None) };
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok())
            .map(|at| Some(at.and_utc()))
            .ok_or_else(|| field_error("DateTime", "is not yyyy-MM-dd HH:mm:ss"))
    }

    /// Our pledge id: the order's `InvoiceId`, else `pledge_id` in the order's `Data`.
    fn pledge_ref(&self) -> Result<Option<String>, NotificationError> {
        if let Some(invoice) = self.get("InvoiceId")? {
            return Ok(Some(invoice));
        }
        // `Data` is the merchant's JSON, as long and as laid out as it was sent: only the id
        // read from it must be an id.
        let Some(data) = self.0.get("Data").filter(|d| !d.is_empty()) else { return Ok(None) };
        let data: Value = serde_json::from_str(data).map_err(|_| field_error("Data", "is not JSON"))?;
        data.get("pledge_id")
            .and_then(Value::as_str)
            .map(|id| {
                ProviderId::parse(id).map(ProviderId::into_string).map_err(|e| field_error("Data", e.to_string()))
            })
            .transpose()
    }
}

impl Fields {
    /// A monthly gift's charge: `SubscriptionId`, and `AccountId` as sent back.
    fn subscription(&self) -> Result<Option<(String, Option<String>)>, NotificationError> {
        let Some(id) = self.get("SubscriptionId")? else { return Ok(None) };
        Ok(Some((id, self.get("AccountId")?)))
    }
}

/// The state a `recurrent` notification's `Status` says, in ours: `Rejected` (three failed
/// charges in a row) and `Expired` (its periods done) are ended by the provider.
pub fn subscription_status(status: &str) -> Option<SubscriptionStatus> {
    match status {
        "Active" => Some(SubscriptionStatus::Active),
        "PastDue" => Some(SubscriptionStatus::PastDue),
        "Cancelled" => Some(SubscriptionStatus::Cancelled),
        "Rejected" | "Expired" => Some(SubscriptionStatus::Ended),
        _ => None,
    }
}

/// A `recurrent` notification as a delivery: keyed by the subscription, its state and its
/// counts of charges, so that a redelivery is a no-op and each new state (a second episode of
/// failures included) is its own.
pub fn recurrent_delivery(fields: &Fields, payload: String) -> Result<Delivery, NotificationError> {
    let id = fields.required("Id")?;
    let status_text = fields.required("Status")?;
    let status = subscription_status(&status_text)
        .ok_or_else(|| field_error("Status", format!("`{status_text}` is not a state")))?;
    let count = |field| fields.get(field).map(|n| n.unwrap_or_default());
    let (done, failed) = (count("SuccessfulTransactionsNumber")?, count("FailedTransactionsNumber")?);
    Ok(Delivery {
        provider: PROVIDER.into(),
        event_id: format!("{}:{id}:{status_text}:{done}:{failed}", Kind::Recurrent.as_str()),
        event_type: Kind::Recurrent.as_str().into(),
        created_at: None,
        payload,
        decoded: Ok(PaymentEvent::SubscriptionChanged {
            subscription_id: id,
            account_ref: fields.get("AccountId")?,
            status,
        }),
    })
}

/// A `check`: what is about to be charged, for `donations::payment_check`.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Our pledge id.
    pub pledge_ref: Option<String>,
    /// A monthly gift's charge: `SubscriptionId`, and `AccountId` (our subscription's id).
    pub subscription: Option<(String, Option<String>)>,
    /// The amount about to be charged.
    pub amount: Stated,
    /// A test-mode payment.
    pub test_mode: bool,
}

impl CheckRequest {
    /// Reads a `check` notification.
    pub fn read(fields: &Fields) -> Result<CheckRequest, NotificationError> {
        fields.transaction("TransactionId")?;
        Ok(CheckRequest {
            pledge_ref: fields.pledge_ref()?,
            subscription: fields.subscription()?,
            amount: fields.stated()?,
            test_mode: fields.test_mode()?,
        })
    }
}

/// The answer code for a `check` verdict.
pub fn check_code(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Accept => 0,
        Verdict::UnknownPledge => 10,
        Verdict::WrongAmount => 12,
        Verdict::Refused(_) => 13,
        Verdict::CampaignClosed => 20,
    }
}

/// The code that refuses a test-mode payment on a live installation: "cannot be accepted".
pub const REFUSED: u8 = 13;

/// The payment a `refund` or `cancel` notification is about (the refunded payment; the
/// canceled one is its own transaction): its fate is theirs. `None` for the other kinds.
pub fn payment_of(kind: Kind, fields: &Fields) -> Result<Option<String>, NotificationError> {
    match kind {
        Kind::Refund => fields.transaction("PaymentTransactionId").map(Some),
        Kind::Cancel => fields.transaction("TransactionId").map(Some),
        _ => Ok(None),
    }
}

/// A notification other than `check`, as a delivery for the inbox: keyed by kind and
/// transaction, so that a redelivery is a no-op. A test-mode notification on an installation
/// configured for live payments is stored as not ours and moves nothing; so is a refund or a
/// cancellation of a payment that was not ours (`payment_not_ours`): those carry no `TestMode`
/// of their own, and follow their payment.
pub fn delivery(
    kind: Kind,
    fields: &Fields,
    payload: String,
    test_installation: bool,
    payment_not_ours: bool,
) -> Result<Delivery, NotificationError> {
    let transaction = fields.transaction("TransactionId")?;
    let event = if fields.test_mode()? && !test_installation {
        PaymentEvent::Foreign("a test-mode notification on an installation configured for live payments".into())
    } else if payment_not_ours {
        PaymentEvent::Foreign("about a payment that was not ours (a test payment, or another installation's)".into())
    } else {
        event(kind, fields, &transaction)?
    };
    Ok(Delivery {
        provider: PROVIDER.into(),
        event_id: format!("{}:{transaction}", kind.as_str()),
        event_type: kind.as_str().into(),
        created_at: fields.date_time()?,
        payload,
        decoded: Ok(event),
    })
}

/// What a `fail` notification's `ReasonCode` tells the donor (CloudPayments' "Коды ошибок",
/// the codes its widget words itself: 5051 insufficient funds, 5054 expired card, …). A code not
/// listed, or none, is a refusal by the bank.
pub fn decline_reason(code: Option<u32>) -> DeclineReason {
    match code {
        Some(5051) => DeclineReason::InsufficientFunds,
        Some(5061 | 5065) => DeclineReason::LimitExceeded,
        Some(5033 | 5054) => DeclineReason::CardExpired,
        Some(5014 | 5082) => DeclineReason::WrongDetails,
        Some(5206 | 5207) => DeclineReason::Authentication,
        Some(5091 | 5092 | 5096) => DeclineReason::BankUnavailable,
        _ => DeclineReason::Declined,
    }
}

fn event(kind: Kind, fields: &Fields, transaction: &str) -> Result<PaymentEvent, NotificationError> {
    let payment_id = transaction.to_string();
    let paid = || -> Result<PaymentEvent, NotificationError> {
        Ok(PaymentEvent::PaymentSucceeded {
            payment_id: payment_id.clone(),
            pledge_ref: fields.pledge_ref()?,
            amount: fields.stated()?,
        })
    };
    let closed = |outcome| -> Result<PaymentEvent, NotificationError> {
        // A code that is not a number is no reason at all: the failure itself still counts.
        let code = fields.get("ReasonCode")?.and_then(|c| c.trim().parse().ok());
        let reason = (outcome == PledgeState::Failed).then(|| decline_reason(code));
        Ok(PaymentEvent::CheckoutClosed { session_id: None, pledge_ref: fields.pledge_ref()?, outcome, reason })
    };
    // A monthly gift's charge names its subscription: counted as one of its charges (or as its
    // first payment), a failed one makes the gift past due.
    if let Some((subscription_id, account_ref)) = fields.subscription()? {
        match kind {
            Kind::Pay | Kind::Confirm if kind == Kind::Confirm || fields.required("Status")? == "Completed" => {
                return Ok(PaymentEvent::SubscriptionCharged {
                    subscription_id,
                    account_ref,
                    pledge_ref: fields.pledge_ref()?,
                    payment_id,
                    amount: fields.stated()?,
                });
            }
            Kind::Fail => {
                return Ok(PaymentEvent::SubscriptionChanged {
                    subscription_id,
                    account_ref,
                    status: SubscriptionStatus::PastDue,
                });
            }
            _ => {}
        }
    }
    match kind {
        Kind::Pay => match fields.required("Status")?.as_str() {
            "Completed" => paid(),
            "Authorized" => {
                Ok(PaymentEvent::PaymentAuthorized { payment_id: payment_id.clone(), pledge_ref: fields.pledge_ref()? })
            }
            _ => Ok(PaymentEvent::Other),
        },
        Kind::Confirm => paid(),
        Kind::Fail => closed(PledgeState::Failed),
        Kind::Cancel => closed(PledgeState::Canceled),
        Kind::Refund => Ok(PaymentEvent::RefundTransaction {
            refund_id: payment_id.clone(),
            payment_id: fields.transaction("PaymentTransactionId")?,
            amount: Stated::in_payments_currency(fields.amount()?),
        }),
        // A check is answered apart and never stored; a subscription's state is read by
        // `recurrent_delivery`.
        Kind::Check | Kind::Recurrent => Ok(PaymentEvent::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Fields {
        Fields::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).expect("form")
    }

    #[test]
    fn a_fail_says_why_as_far_as_its_code_does() {
        assert_eq!(decline_reason(Some(5051)), DeclineReason::InsufficientFunds);
        assert_eq!(decline_reason(Some(5054)), DeclineReason::CardExpired);
        assert_eq!(decline_reason(Some(5082)), DeclineReason::WrongDetails);
        assert_eq!(decline_reason(Some(5206)), DeclineReason::Authentication);
        assert_eq!(decline_reason(Some(5005)), DeclineReason::Declined, "do not honor: the bank's own reasons");
        assert_eq!(decline_reason(None), DeclineReason::Declined);
        let fail = |code: &str| {
            event(Kind::Fail, &form(&format!("InvoiceId=p1&Amount=5000&Currency=KZT&ReasonCode={code}")), "7")
        };
        assert!(matches!(
            fail("5051"),
            Ok(PaymentEvent::CheckoutClosed { reason: Some(DeclineReason::InsufficientFunds), .. })
        ));
        assert!(matches!(fail("x"), Ok(PaymentEvent::CheckoutClosed { reason: Some(DeclineReason::Declined), .. })));
    }

    #[test]
    fn amounts_are_read_from_the_text_as_written() {
        let json = Fields::parse(
            Some("application/json"),
            br#"{"Amount": 5000.10, "TestMode": true, "Data": {"pledge_id": "x"}}"#,
        )
        .expect("json");
        assert_eq!(json.amount(), Ok(500_010));
        assert_eq!(json.test_mode(), Ok(true));
        assert_eq!(json.pledge_ref(), Ok(Some("x".into())));
        assert_eq!(form("Amount=5000.10&TestMode=0").amount(), Ok(500_010));
        // The audit's finding: `TestMode=` was read as a real payment.
        assert_eq!(form("TestMode=0").test_mode(), Ok(false));
        assert_eq!(form("TestMode=1").test_mode(), Ok(true));
        assert_eq!(form("Amount=1").test_mode(), Ok(false), "absent: a refund's or a cancellation's");
        for bad in ["TestMode=", "TestMode=2", "TestMode=yes", "TestMode=TRUE", "TestMode=%201"] {
            assert!(form(bad).test_mode().is_err(), "{bad}");
        }
        assert!(form("Amount=1e3").amount().is_err());
        assert!(form("Amount=-5").amount().is_err());
        assert!(form("Amount=0.00").amount().is_err());
    }

    #[test]
    fn each_kind_reads_its_fields() {
        let pay = form(
            "TransactionId=42&Amount=5000.00&Currency=KZT&InvoiceId=p1&Status=Completed&DateTime=2026-11-28 07:30:00",
        );
        let paid = delivery(Kind::Pay, &pay, "x".into(), false, false).expect("pay");
        assert_eq!(paid.event_id, "pay:42");
        assert_eq!(paid.created_at.map(|t| t.to_rfc3339()), Some("2026-11-28T07:30:00+00:00".into()));
        assert_eq!(
            paid.decoded,
            Ok(PaymentEvent::PaymentSucceeded {
                payment_id: "42".into(),
                pledge_ref: Some("p1".into()),
                amount: Stated::new(500_000, "KZT")
            })
        );
        let refund = form("TransactionId=43&PaymentTransactionId=42&Amount=1000&InvoiceId=p1");
        assert_eq!(
            delivery(Kind::Refund, &refund, "x".into(), false, false).expect("refund").decoded,
            Ok(PaymentEvent::RefundTransaction {
                refund_id: "43".into(),
                payment_id: "42".into(),
                amount: Stated::in_payments_currency(100_000)
            })
        );
        let missing = delivery(Kind::Refund, &form("TransactionId=43&Amount=1000"), "x".into(), false, false);
        assert_eq!(missing.map(|_| ()), Err(field_error("PaymentTransactionId", "is missing")));
        assert!(delivery(Kind::Pay, &form("TransactionId=4x2&Amount=1"), "x".into(), false, false).is_err());
    }

    #[test]
    fn test_mode_is_foreign_only_on_a_live_installation() {
        let pay = form("TransactionId=42&Amount=5000.00&Currency=KZT&InvoiceId=p1&Status=Completed&TestMode=1");
        assert!(matches!(
            delivery(Kind::Pay, &pay, "x".into(), false, false).expect("pay").decoded,
            Ok(PaymentEvent::Foreign(_))
        ));
        assert!(matches!(
            delivery(Kind::Pay, &pay, "x".into(), true, false).expect("pay").decoded,
            Ok(PaymentEvent::PaymentSucceeded { .. })
        ));
    }

    fn hmac(bytes: &[u8], key: &str) -> String {
        use base64::Engine;
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
        mac.update(bytes);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn only_a_signature_over_the_exact_body_passes() {
        let body = b"TransactionId=42&Amount=5000.00";
        let good = hmac(body, "secret");
        assert_eq!(verify(body, Some(&good), None, "secret"), Ok(()));
        assert_eq!(verify(body, None, Some(&good), "secret"), Ok(()));
        assert_eq!(verify(body, Some(&good), None, "other"), Err(NotificationError::Signature));
        assert_eq!(
            verify(b"TransactionId=42&Amount=5000.01", Some(&good), None, "secret"),
            Err(NotificationError::Signature)
        );
        assert_eq!(verify(body, None, None, "secret"), Err(NotificationError::Signature));
        assert_eq!(verify(body, Some("not base64!"), None, "secret"), Err(NotificationError::Signature));
    }

    #[test]
    fn x_content_hmac_is_over_the_decoded_parameters_where_that_is_unambiguous() {
        let sent = "Name=AIGERIM+S&IpCity=%D0%90%D0%BB%D0%BC%D0%B0%D1%82%D1%8B".as_bytes();
        let decoded = "Name=AIGERIM S&IpCity=Алматы".as_bytes();
        assert_eq!(verify(sent, None, Some(&hmac(decoded, "secret")), "secret"), Ok(()));
        // Content-HMAC is over the bytes as sent, never their decoding.
        assert_eq!(verify(sent, Some(&hmac(decoded, "secret")), None, "secret"), Err(NotificationError::Signature));
        // An encoded `&` or `=` would make two different forms decode alike: not taken.
        let split = b"Data=a%26Amount%3D1";
        assert_eq!(
            verify(split, None, Some(&hmac(b"Data=a&Amount=1", "secret")), "secret"),
            Err(NotificationError::Signature)
        );
        assert_eq!(verify(split, Some(&hmac(split, "secret")), None, "secret"), Ok(()));
    }

    #[test]
    fn windows_1251_is_read_as_well_as_utf_8() {
        // "Алматы" in Windows-1251, percent-encoded, said or not by the Content-Type.
        let cp1251 = b"IpCity=%C0%EB%EC%E0%F2%FB&TransactionId=7";
        for content_type in [Some("application/x-www-form-urlencoded; charset=windows-1251"), None] {
            let fields = Fields::parse(content_type, cp1251).expect("a form");
            assert_eq!(fields.get("IpCity"), Ok(Some("Алматы".into())), "{content_type:?}");
        }
        let utf8 = b"IpCity=%D0%90%D0%BB%D0%BC%D0%B0%D1%82%D1%8B";
        assert_eq!(
            Fields::parse(Some("application/x-www-form-urlencoded"), utf8).expect("form").get("IpCity"),
            Ok(Some("Алматы".into()))
        );
        let json_1251 = b"{\"IpCity\": \"\xC0\xEB\xEC\xE0\xF2\xFB\"}";
        let fields = Fields::parse(Some("application/json; charset=windows-1251"), json_1251).expect("json");
        assert_eq!(fields.get("IpCity"), Ok(Some("Алматы".into())));
        // A charset that is neither is refused by name, not misread.
        assert!(matches!(
            Fields::parse(Some("application/x-www-form-urlencoded; charset=koi8-r"), cp1251),
            Err(NotificationError::Body(_))
        ));
        // UTF-8 said, but not UTF-8: refused.
        assert!(Fields::parse(Some("application/x-www-form-urlencoded; charset=utf-8"), cp1251).is_err());
    }
}
