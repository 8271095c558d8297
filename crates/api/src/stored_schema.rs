//! The OpenAPI schema of a field that holds a stored enum: the one mapping that stores the values
//! (`stored_enum!`) lists them in the document too. Used by the types of every layer that the
//! document describes (auth's roles, services' answers, the routes' bodies).

/// The schema of a stored enum's field: a string, one of the enum's names (so that the document
/// lists exactly the values the code knows, from the one mapping that stores them).
pub fn names<T: demeu_db::stored::StoredEnum>() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(T::NAMES.iter().copied()))
        .build()
}

/// The same, for an optional value: one of the names, or null.
pub fn nullable_names<T: demeu_db::stored::StoredEnum>() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let values = T::NAMES.iter().map(|n| serde_json::Value::from(*n)).chain([serde_json::Value::Null]);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}
