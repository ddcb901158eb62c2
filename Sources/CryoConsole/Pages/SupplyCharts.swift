import CryoSupply
import Foundation

/// A forecast's results as server-rendered SVG (viewBox, 100 % wide) beside tables of the same numbers.
/// Series are told apart by text labels and patterns as well as colour.
enum SupplyCharts {
    typealias Chart = SupplyRunPage.Chart
    typealias Row = SupplyRunPage.Row
    static let width = 600.0, height = 240.0, left = 48.0, right = 12.0, top = 16.0, bottom = 40.0

    static func summary(_ r: ForecastResult) -> [Row] {
        [Row(label: "Patients dosed on time", cells: [percent(r.serviceLevel) + " ± " + percent(r.serviceStandardError)]),
         Row(label: "Patients per run", cells: [number(r.patientsPerRun)]),
         Row(label: "Vials expiring per run", cells: [number(r.expiredVialsPerRun)]),
         Row(label: "Shipments per run", cells: [number(r.shipmentsPerRun)]),
         Row(label: "Replications", cells: [String(r.runs)])]
    }

    /// Usable vials at each month boundary: the 5–95 % band and the median line, per product and location.
    static func fans(_ r: ForecastResult) -> [Chart] {
        r.fan.enumerated().map { i, f in
            let labels = ["today"] + r.months
            let top = max(1, (f.p95.max() ?? 1)) * 1.1
            let n = max(1, f.p50.count - 1)
            func x(_ k: Int) -> Double { left + (width - left - right) * Double(k) / Double(n) }
            func y(_ v: Double) -> Double { height - bottom - (height - top - bottom) * v / top }
            let upper = f.p95.indices.map { "\(fmt(x($0))),\(fmt(y(f.p95[$0])))" }
            let lower = f.p5.indices.reversed().map { "\(fmt(x($0))),\(fmt(y(f.p5[$0])))" }
            let median = f.p50.indices.map { "\(fmt(x($0))),\(fmt(y(f.p50[$0])))" }.joined(separator: " ")
            let title = "Usable vials of \(f.product) at \(f.location)"
            var svg = open(title, id: "fan-\(i)")
            svg += axes(maxValue: top, labels: labels, x: x)
            svg += "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"#9ecae1\" stroke=\"#3182bd\" stroke-dasharray=\"4 3\"><title>5–95 % band</title></polygon>"
            svg += "<polyline class=\"median\" points=\"\(median)\" fill=\"none\" stroke=\"#08306b\" stroke-width=\"3\"><title>median</title></polyline>"
            if let last = f.p50.indices.last {
                svg += "<text x=\"\(fmt(x(last) - 4))\" y=\"\(fmt(y(f.p50[last]) - 6))\" text-anchor=\"end\" font-size=\"12\">median</text>"
            }
            svg += legend([("#08306b", "solid line: median"), ("#9ecae1", "dashed band: 5–95 %")]) + "</svg>"
            let rows = labels.indices.map { k in
                Row(label: labels[k], cells: [k < f.p5.count ? number(f.p5[k]) : "–", k < f.p50.count ? number(f.p50[k]) : "–", k < f.p95.count ? number(f.p95[k]) : "–"])
            }
            return Chart(id: "fan-\(i)", title: title, svg: svg, columns: ["Month", "5 %", "Median", "95 %"], rows: rows)
        }
    }

    /// Probability of a stock-out by month, per site and product (the depot has no patients).
    static func stockouts(_ r: ForecastResult) -> [Chart] {
        let groups = Dictionary(grouping: r.cells) { $0.location + " · " + $0.product }
        return groups.keys.sorted().enumerated().compactMap { i, key in
            let cells = groups[key]!.sorted { (r.months.firstIndex(of: $0.month) ?? 0) < (r.months.firstIndex(of: $1.month) ?? 0) }
            guard cells.contains(where: { $0.expectedDoses > 0 || $0.stockoutProbability > 0 }) else { return nil }
            let title = "Stock-out probability at \(key)"
            let svg = bars(title, id: "stockout-\(i)", labels: cells.map(\.month), values: cells.map(\.stockoutProbability), maxValue: 1, text: percent)
            return Chart(id: "stockout-\(i)", title: title, svg: svg, columns: ["Month", "Stock-out probability", "Expected doses"],
                         rows: cells.map { Row(label: $0.month, cells: [percent($0.stockoutProbability), number($0.expectedDoses)]) })
        }
    }

    /// Expected vials expiring by month, all locations.
    static func expiring(_ r: ForecastResult) -> Chart {
        let values = r.months.map { m in r.cells.filter { $0.month == m }.reduce(0) { $0 + $1.expectedExpiredVials } }
        let title = "Vials expiring by month"
        return Chart(id: "expiring", title: title,
                     svg: bars(title, id: "expiring", labels: r.months, values: values, maxValue: max(1, values.max() ?? 1) * 1.15, text: number),
                     columns: ["Month", "Expected vials expiring"], rows: r.months.indices.map { Row(label: r.months[$0], cells: [number(values[$0])]) })
    }

    /// Expected missed patients per run, by cause.
    static func misses(_ r: ForecastResult) -> Chart {
        let title = "Causes of missed doses (patients per run)"
        let values = r.misses.map(\.perRun)
        return Chart(id: "misses", title: title,
                     svg: bars(title, id: "misses", labels: r.misses.indices.map { "\($0 + 1)" }, values: values,
                               maxValue: max(0.1, values.max() ?? 0) * 1.15, text: number),
                     columns: ["Cause", "Missed patients per run"],
                     rows: r.misses.enumerated().map { Row(label: "\($0.offset + 1). \($0.element.cause)", cells: [number($0.element.perRun)]) })
    }

    // MARK: drawing

    static func bars(_ title: String, id: String, labels: [String], values: [Double], maxValue: Double, text: (Double) -> String) -> String {
        let n = Double(max(1, values.count)), slot = (width - left - right) / n
        func y(_ v: Double) -> Double { height - bottom - (height - top - bottom) * min(v, maxValue) / maxValue }
        var svg = open(title, id: id)
        svg += axes(maxValue: maxValue, labels: labels, x: { left + slot * (Double($0) + 0.5) }, format: maxValue == 1 ? percent : number)
        for (k, v) in values.enumerated() {
            let x = left + slot * Double(k) + slot * 0.15
            svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y(v)))\" width=\"\(fmt(slot * 0.7))\" height=\"\(fmt(height - bottom - y(v)))\" fill=\"#d95f02\"><title>\(esc(labels[k])): \(esc(text(v)))</title></rect>"
            svg += "<text x=\"\(fmt(x + slot * 0.35))\" y=\"\(fmt(y(v) - 3))\" text-anchor=\"middle\" font-size=\"10\">\(esc(text(v)))</text>"
        }
        return svg + "</svg>"
    }

    static func open(_ title: String, id: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"\(id)-svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\">"
            + "<title id=\"\(id)-title\">\(esc(title))</title>"
    }

    static func axes(maxValue: Double, labels: [String], x: (Int) -> Double, format: (Double) -> String = number) -> String {
        let base = height - bottom
        var svg = "<line x1=\"\(left)\" y1=\"\(base)\" x2=\"\(width - right)\" y2=\"\(base)\" stroke=\"#333\"/><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(base)\" stroke=\"#333\"/>"
        for t in [0.0, 0.5, 1.0] {
            let y = base - (base - top) * t
            svg += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(esc(format(maxValue * t)))</text>"
        }
        let step = max(1, labels.count / 6)
        for k in stride(from: 0, to: labels.count, by: step) {
            svg += "<text x=\"\(fmt(x(k)))\" y=\"\(fmt(base + 16))\" text-anchor=\"middle\" font-size=\"11\">\(esc(labels[k]))</text>"
        }
        return svg
    }

    static func legend(_ items: [(String, String)]) -> String {
        items.enumerated().map { k, item in
            let x = left + Double(k) * 220
            return "<rect x=\"\(fmt(x))\" y=\"\(fmt(height - 14))\" width=\"14\" height=\"10\" fill=\"\(item.0)\"/><text x=\"\(fmt(x + 18))\" y=\"\(fmt(height - 5))\" font-size=\"12\">\(esc(item.1))</text>"
        }.joined()
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    static func number(_ v: Double) -> String { v >= 10 ? String(format: "%.0f", v) : String(format: "%.1f", v) }
    static func percent(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
