//! The route table (`routes::API_ROUTES`) is the one list of the API's routes: actix serves it,
//! CORS reads each route's audience from it, and the OpenAPI document's operations are its
//! handlers' annotations. Those annotations write their path and method again; this keeps them
//! the table's.

use std::collections::BTreeSet;

use demeu_api::routes::{docs, API_ROUTES};

#[test]
fn the_document_has_exactly_the_tables_routes() {
    let document = serde_json::to_value(docs::document()).expect("the document");
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(api) = path.strip_prefix("/api/v1") else { continue };
        for method in ["get", "post", "patch", "delete", "put"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), api.to_string()));
            }
        }
    }
    let table: BTreeSet<(String, String)> =
        API_ROUTES.iter().map(|route| (route.method.to_string(), route.path.to_string())).collect();
    assert_eq!(table.len(), API_ROUTES.len(), "each method and path once in the table");
    let undocumented: Vec<_> = table.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&table).collect();
    assert!(undocumented.is_empty(), "routes whose handler documents another path or method: {undocumented:?}");
    assert!(unserved.is_empty(), "documented operations that no route serves: {unserved:?}");
}

#[test]
fn every_route_has_the_audience_the_table_gives_it() {
    for route in API_ROUTES {
        let path = format!("/api/v1{}", route.path.replace("{slug}", "mentors").replace('{', "x").replace('}', ""));
        let method = actix_web::http::Method::from_bytes(route.method.as_bytes()).expect("a method");
        assert_eq!(demeu_api::cors::audience(&method, &path), route.audience, "{} {path}", route.method);
    }
    // Nothing the table does not name.
    assert_eq!(demeu_api::cors::audience(&actix_web::http::Method::GET, "/api/v1/staff/unknown"), None);
    assert_eq!(demeu_api::cors::audience(&actix_web::http::Method::PUT, "/api/v1/campaigns"), None);
}
