/// One text cell of every CSV file CryoLedger writes (custody exports, import rejects): RFC 4180 quoting, and
/// neutralisation of spreadsheet formulas (OWASP "CSV injection").
///
/// A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be evaluated by Excel,
/// LibreOffice or Google Sheets as a formula (`=HYPERLINK(…)`, `+cmd|…`, `-2+3`, `@SUM(…)`). Such a cell is written
/// as a single quote followed by the text, and quoted: `=1+1` becomes `"'=1+1"`. A spreadsheet shows the text as
/// typed; a program reading the CSV sees the leading `'` and can strip it.
///
/// The rule applies to every text cell, whatever it looks like: a reason `-150 °C excursion` or a value `-5` in a
/// rejects file is written `"'-150 °C excursion"`, `"'-5"`. The only cells exempt are those of columns whose type is an
/// integer and that the writer formats itself from an integer (custody `id` and `seq`, rejects `row` and `line`): they
/// never go through this function, hold digits only, and cannot carry a formula. No column is exempted because its text
/// happens to look like a number.
public enum CSVCell {
    /// The first bytes that make a spreadsheet read a cell as a formula.
    public static let formulaTriggers: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]

    /// True when a spreadsheet would evaluate the cell `utf8`.
    @inlinable
    public static func isFormula<C: Collection>(_ utf8: C) -> Bool where C.Element == UInt8 {
        guard let first = utf8.first else { return false }
        return formulaTriggers.contains(first)
    }

    /// Appends the UTF-8 text `utf8` as one CSV cell: neutralised when it starts like a formula, quoted (inner quotes
    /// doubled) when neutralised or when it holds a comma, quote, CR or LF, else as it is.
    @inlinable
    public static func append<C: Collection>(_ utf8: C, to out: inout [UInt8]) where C.Element == UInt8 {
        let formula = isFormula(utf8)
        guard formula || utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(0x22)
        if formula { out.append(UInt8(ascii: "'")) }
        for b in utf8 {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    /// One CSV record of text cells, ending in LF.
    public static func appendRecord(_ cells: [String], to out: inout [UInt8]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            append(cell.utf8, to: &out)
        }
        out.append(0x0A)
    }
}
