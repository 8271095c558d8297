//! The site's languages, one type for all who store one: a campaign's default (its mail and its
//! pages), and the page a volunteer's application came from (staff answer in it).

crate::stored_enum! {
    /// One of the languages Demeu speaks.
    pub enum Locale("locale") {
        /// Kazakh.
        Kk = "kk",
        /// Russian.
        Ru = "ru",
        /// English.
        En = "en",
    }
}
