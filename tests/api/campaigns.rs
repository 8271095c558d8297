use serde_json::Value;

use crate::helpers::{assert_problem, campaign, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    mentors_is_served_as_configured,
    campaigns_are_listed,
    unknown_campaign_is_a_problem_404,
    a_campaign_not_started_is_upcoming_and_one_past_its_end_ended,
);

async fn mentors_is_served_as_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.get_json("/api/v1/campaigns/mentors").await;
    assert_eq!(body["slug"], "mentors");
    assert_eq!(body["currency"], "KZT");
    assert_eq!(body["goal"], 52_500_000);
    assert_eq!(body["raised"], 0);
    assert_eq!(body["pledges"], 0);
    assert_eq!(body["percent"], 0.0);
    assert_eq!(body["status"], "active");
    assert_eq!(body["ends_at"], Value::Null);
    assert_eq!(body["starts_at"], "2026-10-31T19:00:00Z");
    assert_eq!(body["unallocated"], 0);
    let lines = body["allocation"].as_array().expect("allocation");
    let keys: Vec<&str> = lines.iter().map(|l| l["key"].as_str().expect("key")).collect();
    assert_eq!(keys, ["summer-school", "psychologists", "autumn-school", "textbooks"]);
    let targets: Vec<Value> = lines.iter().map(|l| l["target"].clone()).collect();
    assert_eq!(targets, [Value::from(22_500_000), Value::from(30_000_000), Value::from(22_500_000), Value::Null]);
    let tiers: Vec<&str> = lines.iter().map(|l| l["tier"].as_str().expect("tier")).collect();
    assert_eq!(tiers, ["goal", "goal", "overflow", "overflow"]);
    assert!(lines.iter().all(|l| l["funded"] == 0 && l["title"].is_string()));
}

async fn campaigns_are_listed(backend: Backend) {
    let library = campaign("library", "2026-12-01T00:00:00+05:00", None, 1_000_000);
    let app = spawn_app(backend).with(|s| s.campaigns = vec![library]).await;
    let body = app.get_json("/api/v1/campaigns").await;
    let slugs: Vec<&str> =
        body["campaigns"].as_array().expect("list").iter().map(|c| c["slug"].as_str().expect("slug")).collect();
    assert_eq!(slugs, ["library"], "configuration replaces the list of campaigns");
}

async fn unknown_campaign_is_a_problem_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let problem = assert_problem(app.get("/api/v1/campaigns/no-such").await, 404).await;
    assert_eq!(problem["detail"], "campaign not found");
}

async fn a_campaign_not_started_is_upcoming_and_one_past_its_end_ended(backend: Backend) {
    let campaigns = vec![
        campaign("future", "2099-01-01T00:00:00+05:00", None, 100_000),
        campaign("past", "2020-01-01T00:00:00+05:00", Some("2020-02-01T00:00:00+05:00"), 100_000),
    ];
    let app = spawn_app(backend).with(|s| s.campaigns = campaigns).await;
    assert_eq!(app.get_json("/api/v1/campaigns/future").await["status"], "upcoming");
    let past = app.get_json("/api/v1/campaigns/past").await;
    assert_eq!(past["status"], "ended");
    assert_eq!(past["ends_at"], "2020-01-31T19:00:00Z");
}
