/// One field a request got wrong, and why: the unit of every 422 answer, shared by the domain
/// crates so that the api crate maps them all the same way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it.
    pub field: String,
    /// What is wrong, for a person, in English: what the API answers.
    pub message: String,
    /// The same said in the reader's language: a message of the Fluent catalogues and its
    /// arguments (amounts already written as people write them, `500 ₸`), for the pages, the
    /// console and mail. `None` where only the English words exist yet.
    #[serde(skip)]
    pub translated: Option<(&'static str, Vec<(&'static str, String)>)>,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_string(), message: message.into(), translated: None }
    }

    /// Text longer than `max` characters.
    pub fn at_most_chars(field: &str, max: usize) -> Self {
        FieldError::new(field, format!("must be at most {max} characters"))
            .translated("error-at-most-chars", vec![("max", max.to_string())])
    }

    /// Text that must hold `min` to `max` characters and does not.
    pub fn chars_between(field: &str, min: usize, max: usize) -> Self {
        FieldError::new(field, format!("must be {min} to {max} characters"))
            .translated("error-chars-between", vec![("min", min.to_string()), ("max", max.to_string())])
    }

    /// An email address that is none (`why`: what is wrong, for the API's English answer).
    pub fn email(field: &str, why: impl Into<String>) -> Self {
        FieldError::new(field, why).translated("error-email", Vec::new())
    }

    /// A value that must be one of `values` and is not.
    pub fn one_of(field: &str, values: &[&str]) -> Self {
        let values = values.join(", ");
        FieldError::new(field, format!("must be one of {values}")).translated("error-one-of", vec![("values", values)])
    }

    /// The same error with its message id and arguments for the reader's language.
    pub fn translated(mut self, id: &'static str, args: Vec<(&'static str, String)>) -> Self {
        self.translated = Some((id, args));
        self
    }
}
