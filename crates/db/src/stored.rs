//! Enums stored as TEXT: one macro gives each its one string mapping, used everywhere the value
//! crosses a boundary (the database on both backends, JSON, query strings, logs), so that no
//! status is spelled twice and a row cannot hold a value its type does not know without the read
//! failing loudly.

use std::fmt;

/// A stored or sent name that is none of its type's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The type, e.g. `pledge state`.
    pub kind: &'static str,
    /// What was found.
    pub value: String,
    /// The names it may have.
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a {}: must be one of {}", self.value, self.kind, self.allowed.join(", "))
    }
}

impl std::error::Error for UnknownValue {}

/// What [`stored_enum!`] gives every such enum, for code generic over them (e.g. an OpenAPI
/// schema listing the allowed values).
pub trait StoredEnum: Sized + Copy + 'static {
    /// Every value's name.
    const NAMES: &'static [&'static str];
}

/// Declares an enum stored as TEXT, with its one string mapping: `as_str`, `Display`, `FromStr`
/// (an [`UnknownValue`] naming the allowed values), serde as that string, `ALL` and `NAMES`, and
/// diesel's `ToSql`/`FromSql` for `Text` on PostgreSQL, SQLite and the multi-backend connection.
///
/// ```ignore
/// demeu_db::stored_enum! {
///     /// Where a pledge is.
///     pub enum PledgeState("pledge state") {
///         /// Waiting.
///         Pending = "pending",
///         /// Done.
///         Paid = "paid",
///     }
/// }
/// ```
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The name stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $crate::stored::StoredEnum for $name {
            const NAMES: &'static [&'static str] = $name::NAMES;
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::stored::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::stored::UnknownValue {
                        kind: $kind,
                        value: other.to_string(),
                        allowed: Self::NAMES,
                    }),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        $crate::__text_sql!($name);
    };
}

/// What [`stored_enum!`] and `stored_id!` share: `FromSql` for TEXT on PostgreSQL, SQLite and
/// the multi-backend through `FromStr`, and the multi-backend's `ToSql` (which hands the value to
/// the backend's own).
#[doc(hidden)]
#[macro_export]
macro_rules! __text_sql {
    ($name:ident) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::MultiBackend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                Ok(text.parse()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn from_sql(
                bytes: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(bytes)?;
                Ok(text.parse()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::MultiBackend> for $name {
            fn from_sql(
                bytes: <$crate::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                bytes.from_sql::<$name, diesel::sql_types::Text>()
            }
        }
    };
}
