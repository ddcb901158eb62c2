import CryoDomain
import CryoSupply
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 26 through the router: a forecast starts with 202 and its Location, reports progress, and ends with
/// results reproducible from the stored inputs and seed; clinical staff may neither start nor read one.
@Suite("Supply forecasts through the API")
struct APISupplyTests {
    @Test("202 with Location, progress while it runs, results reproducible from the stored inputs and seed")
    func startFollowAndReproduce() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-A1", 12)])
            try await f.enrol("RES-001", antiHla: ["B*44"])
            let pharm = f.tokens[.pharmacy]!
            let location = try await http.startForecast(token: pharm, json: #"{"months":3,"runs":300,"seed":9}"#)
            #expect(location.hasPrefix("/supply/forecasts/"))

            let done = try await http.waitUntilFinished(location, token: f.tokens[.auditor]!)
            #expect(done["status"] as? String == "done" && done["seed"] as? String == "9" && done["completed"] as? Int == 300, "\(done)")
            let inputs = try JSONDecoder().decode(SupplyInputs.self, from: JSONSerialization.data(withJSONObject: done["inputs"]!))
            let results = try JSONDecoder().decode(ForecastResult.self, from: JSONSerialization.data(withJSONObject: done["results"]!))
            #expect(inputs.months == 3 && inputs.lots.map(\.id) == ["LOT-A1"])
            #expect(results == (try SupplyForecast.run(inputs, runs: 300, seed: 9)))
        }
    }

    @Test("with plan: true the run ends with a recommendation, reproducible from its stored options")
    func planFollowsTheForecast() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-A1", 12)])
            try await f.enrol("RES-001", antiHla: ["A*02:01"])
            let location = try await http.startForecast(token: f.tokens[.manufacturing]!, json: #"{"months":3,"runs":60,"seed":5,"plan":true}"#)
            let done = try await http.waitUntilFinished(location, token: f.tokens[.pharmacy]!)
            #expect(done["status"] as? String == "done" && done["plan"] as? Bool == true, "\(done)")
            let inputs = try JSONDecoder().decode(SupplyInputs.self, from: JSONSerialization.data(withJSONObject: done["inputs"]!))
            let options = try JSONDecoder().decode(PlanOptions.self, from: JSONSerialization.data(withJSONObject: try #require(done["planOptions"])))
            let plan = try JSONDecoder().decode(PlanRecommendation.self, from: JSONSerialization.data(withJSONObject: try #require(done["recommendation"])))
            #expect(plan.recommended.runs == 60 && plan.baseline.runs == 60)
            #expect(plan == (try SupplyPlanner.recommend(inputs, options: options)))

            let plain = try await http.startForecast(token: f.tokens[.manufacturing]!, json: #"{"months":3,"runs":20,"seed":5}"#)
            let other = try await http.waitUntilFinished(plain, token: f.tokens[.pharmacy]!)
            #expect(other["plan"] as? Bool == false && other["recommendation"] == nil && other["planOptions"] == nil)
        }
    }

    @Test("a long run reports replications completed while it runs")
    func progress() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-A1", 12)])
            let location = try await http.startForecast(token: f.tokens[.manufacturing]!, json: #"{"months":24,"runs":60000,"seed":3}"#)
            var seen: Set<Int> = []
            var status = "running"
            while status == "running" {
                let (code, body, text) = try await http.call(.get, location, token: f.tokens[.pharmacy])
                #expect(code == .ok, "\(text)")
                status = body["status"] as? String ?? "?"
                if status == "running", let c = body["completed"] as? Int { seen.insert(c) }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == "done")
            #expect(seen.contains { $0 > 0 && $0 < 60000 }, "progress seen: \(seen.sorted())")
        }
    }

    @Test("clinical may neither start nor read a forecast (403); bad inputs get 400 with the field and the rule")
    func refusals() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-A1", 12)])
            var (status, body, text) = try await http.call(.post, "/supply/forecasts", token: f.tokens[.clinical], json: #"{"runs":10}"#)
            #expect(status == .forbidden, "\(text)")
            (status, _, text) = try await http.call(.post, "/supply/forecasts", token: f.tokens[.auditor], json: #"{"runs":10}"#)
            #expect(status == .forbidden, "\(text)")
            for (json, field, rule) in [(#"{"months":0}"#, "months", "from 1 to 60"), (#"{"months":61}"#, "months", "from 1 to 60"),
                                        (#"{"runs":0}"#, "runs", "1,000,000"), (#"{"runs":1000001}"#, "runs", "1,000,000"),
                                        (#"{"seed":-1}"#, "seed", "from 0")] {
                (status, body, text) = try await http.call(.post, "/supply/forecasts", token: f.tokens[.pharmacy], json: json)
                #expect(status == .badRequest && body["field"] as? String == field && (body["detail"] as? String ?? "").contains(rule), "\(json): \(text)")
            }
            #expect(try await f.count("SELECT count(*)::int FROM supply_forecast") == 0)
            let location = try await http.startForecast(token: f.tokens[.pharmacy]!, json: #"{"months":2,"runs":20,"seed":1}"#)
            (status, _, text) = try await http.call(.get, location, token: f.tokens[.clinical])
            #expect(status == .forbidden, "\(text)")
            _ = try await http.waitUntilFinished(location, token: f.tokens[.pharmacy]!)
            (status, _, _) = try await http.call(.get, "/supply/forecasts/999999", token: f.tokens[.pharmacy])
            #expect(status == .notFound)
        }
    }
}

extension TestClientProtocol {
    /// POSTs a forecast request, expects 202, and returns its Location.
    func startForecast(token: String, json: String) async throws -> String {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[.contentType] = "application/json"
        return try await execute(uri: "/supply/forecasts", method: .post, headers: headers, body: ByteBuffer(string: json)) { response in
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let location = response.headers[.location] ?? ""
            let body = (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
            #expect(location == "/supply/forecasts/\(body["id"] as? Int ?? -1)")
            return location
        }
    }

    func waitUntilFinished(_ location: String, token: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            let (_, body, _) = try await call(.get, location, token: token)
            if body["status"] as? String != "running" { return body }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the forecast did not finish within three minutes")
        return [:]
    }
}
