//! The simulated service: who watches, from where, on what, through which
//! ISP and CDN, and how much at each hour of their local day.

/// A country with its viewers' UTC offset and its share of traffic.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    /// ISO code, the dimension value.
    pub code: &'static str,
    /// Local time − UTC, in hours (standard time; the simulation ignores
    /// daylight saving).
    pub utc_offset_h: i32,
    /// Share of all attempts.
    pub share: f64,
}

/// The countries served.
pub const COUNTRIES: [Country; 5] = [
    Country { code: "DE", utc_offset_h: 1, share: 0.30 },
    Country { code: "GB", utc_offset_h: 0, share: 0.25 },
    Country { code: "FR", utc_offset_h: 1, share: 0.20 },
    Country { code: "ES", utc_offset_h: 1, share: 0.15 },
    Country { code: "IT", utc_offset_h: 1, share: 0.10 },
];

/// ISPs per country (the same names in every country: the dimension value
/// alone is ambiguous, as in real data, and `isp=ISP-3&country=DE` names
/// one network).
pub const ISPS: [(&str, f64); 3] = [("ISP-1", 0.5), ("ISP-2", 0.3), ("ISP-3", 0.2)];

/// CDNs and their shares of traffic.
pub const CDNS: [(&str, f64); 3] = [("A", 0.5), ("B", 0.3), ("C", 0.2)];

/// Device, app version, share of traffic, base bitrate (kbps).
pub const CLIENTS: [(&str, &str, f64, f64); 7] = [
    ("android", "5.1", 0.10, 2500.0),
    ("android", "5.2", 0.15, 2500.0),
    ("ios", "5.1", 0.08, 3000.0),
    ("ios", "5.2", 0.12, 3000.0),
    ("tv", "4.0", 0.15, 6000.0),
    ("tv", "4.1", 0.20, 6000.0),
    ("web", "web", 0.20, 4000.0),
];

/// Live vs on-demand, and their shares.
pub const DELIVERIES: [(&str, f64); 2] = [("live", 0.35), ("vod", 0.65)];

/// The dimension names, in leaf order.
pub const DIMENSIONS: [&str; 6] = ["country", "isp", "device", "app_version", "cdn", "delivery"];

/// One leaf: indices into the tables above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// Into [`COUNTRIES`].
    pub country: usize,
    /// Into [`ISPS`].
    pub isp: usize,
    /// Into [`CLIENTS`].
    pub client: usize,
    /// Into [`CDNS`].
    pub cdn: usize,
    /// Into [`DELIVERIES`].
    pub delivery: usize,
}

impl Leaf {
    /// Every leaf, in a fixed order.
    pub fn all() -> Vec<Leaf> {
        let mut out = Vec::new();
        for country in 0..COUNTRIES.len() {
            for isp in 0..ISPS.len() {
                for client in 0..CLIENTS.len() {
                    for cdn in 0..CDNS.len() {
                        for delivery in 0..DELIVERIES.len() {
                            out.push(Leaf { country, isp, client, cdn, delivery });
                        }
                    }
                }
            }
        }
        out
    }

    /// The leaf's dimension values, in [`DIMENSIONS`] order.
    pub fn values(&self) -> [&'static str; 6] {
        let (device, app, _, _) = CLIENTS[self.client];
        [COUNTRIES[self.country].code, ISPS[self.isp].0, device, app, CDNS[self.cdn].0, DELIVERIES[self.delivery].0]
    }

    /// The leaf's share of all traffic.
    pub fn share(&self) -> f64 {
        COUNTRIES[self.country].share
            * ISPS[self.isp].1
            * CLIENTS[self.client].2
            * CDNS[self.cdn].1
            * DELIVERIES[self.delivery].1
    }

    /// Whether the leaf matches every `(dimension, value)` of a scope.
    pub fn within(&self, scope: &[(String, String)]) -> bool {
        let values = self.values();
        scope.iter().all(|(dim, value)| DIMENSIONS.iter().position(|d| d == dim).is_some_and(|i| values[i] == value))
    }
}

/// Relative viewing at a local time: low at 05:00, peaking at 21:00, a
/// lunchtime bump, and a busier weekend afternoon (`weekday` 0 = Monday).
pub fn diurnal(local_minute_of_day: f64, weekday: u32) -> f64 {
    let h = local_minute_of_day / 60.0;
    // Distance on the 24-hour circle, so the evening peak wraps past midnight.
    let bump = |centre: f64, width: f64| {
        let d = (h - centre).abs() % 24.0;
        let d = d.min(24.0 - d);
        (-(d / width).powi(2) / 2.0).exp()
    };
    let weekend = if weekday >= 5 { 0.35 * bump(15.0, 3.0) } else { 0.0 };
    0.08 + 0.9 * bump(21.0, 2.6) + 0.25 * bump(13.0, 1.5) + weekend
}
