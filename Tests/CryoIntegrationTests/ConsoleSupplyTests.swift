import CryoDomain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Issue 26 in the console: pharmacy sees the inventory and the "Run forecast" form, a run started from the form
/// redirects to its page and ends with the charts (inline SVG) and their tables; clinical has neither page nor menu entry.
@Suite("Console supply page through the router")
struct ConsoleSupplyTests {
    typealias Page = ConsolePageTests

    @Test("pharmacy runs a forecast from the form and reads its charts and tables; clinical is refused")
    func runFromTheForm() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-A1", 12)])
            let pharmacy = try await Page.signIn(f, .pharmacy)
            var (status, html, headers) = try await Page.page(http, .get, "/console/supply", pharmacy)
            #expect(status == .ok)
            #expect(html.contains("href=\"/console/supply\""), "the menu entry")
            #expect(html.contains("id=\"stock\"") && html.contains("LOT-A1") == false && html.contains(">12<"), "vials on hand per product and site")
            #expect(html.contains("id=\"run-forecast\""))

            // A bad number is refused beside its field, the values kept, nothing started.
            (status, html, _) = try await Page.page(http, .post, "/console/supply/forecasts", pharmacy,
                                                    form: [("_csrf", pharmacy.csrf), ("months", "0"), ("runs", "200"), ("seed", "")])
            #expect(status == .badRequest)
            #expect(html.contains("id=\"months-error\"") && html.contains("value=\"0\""), "\(html)")

            (status, _, headers) = try await Page.page(http, .post, "/console/supply/forecasts", pharmacy,
                                                       form: [("_csrf", pharmacy.csrf), ("months", "3"), ("runs", "200"), ("seed", "7")])
            #expect(status == .seeOther)
            let location = try #require(headers[.location])
            #expect(location.hasPrefix("/console/supply/forecasts/"))

            // A deadline, not a count of polls: debug builds under a full parallel suite run the forecast slowly.
            var done = false
            let deadline = ContinuousClock.now + .seconds(180)
            while !done && ContinuousClock.now < deadline {
                (status, html, _) = try await Page.page(http, .get, location, pharmacy)
                #expect(status == .ok)
                done = !html.contains("id=\"progress\"")
                if !done {
                    #expect(html.contains("http-equiv=\"refresh\""), "a running forecast reloads itself")
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(done)
            #expect(!html.contains("id=\"failed\""), "\(html)")
            #expect(html.contains("<svg") && html.contains("viewBox=") && html.contains("width=\"100%\""))
            #expect(html.contains("id=\"fan-0-table\"") && html.contains("class=\"median\"") && html.contains("5–95 %"))
            #expect(html.contains("id=\"expiring-table\"") && html.contains("id=\"misses-table\""))
            #expect(html.contains("seed 7") && !html.contains("http-equiv=\"refresh\""))

            #expect(!html.contains("id=\"plan\""), "no plan section when none was asked for")

            // With the box ticked the run ends with the recommended plan beside the baseline.
            (status, _, headers) = try await Page.page(http, .post, "/console/supply/forecasts", pharmacy,
                                                       form: [("_csrf", pharmacy.csrf), ("months", "3"), ("runs", "40"), ("seed", "8"), ("plan", "on")])
            #expect(status == .seeOther)
            let planned = try #require(headers[.location])
            done = false
            let planDeadline = ContinuousClock.now + .seconds(300)
            while !done && ContinuousClock.now < planDeadline {
                (status, html, _) = try await Page.page(http, .get, planned, pharmacy)
                done = !html.contains("id=\"progress\"")
                if !done { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(done && !html.contains("id=\"failed\""), "\(html)")
            #expect(html.contains("id=\"plan\"") && html.contains("id=\"plan-verdict\"") && html.contains("id=\"plan-comparison\""), "\(html)")
            #expect(html.contains(">Recommended<") && html.contains(">Baseline<"))
            #expect(html.contains("id=\"plan-campaigns\"") || html.contains("No new campaign"))

            let clinical = try await Page.signIn(f, .clinical)
            (status, html, _) = try await Page.page(http, .get, "/console/supply", clinical)
            #expect(status == .forbidden)
            #expect(!html.contains("href=\"/console/supply\""), "no menu entry for clinical")
            (status, _, _) = try await Page.page(http, .post, "/console/supply/forecasts", clinical,
                                                 form: [("_csrf", clinical.csrf), ("months", "3"), ("runs", "200")])
            #expect(status == .forbidden)
            (status, _, _) = try await Page.page(http, .get, location, clinical)
            #expect(status == .forbidden)
        }
    }
}
