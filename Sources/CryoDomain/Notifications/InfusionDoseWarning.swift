/// Issue 28: a patient whose planned infusion day is today or within the next 2 days, and for whom no vial is
/// reserved, is announced once per patient and infusion day (`patient.infusion-without-dose`); an infusion moved to
/// another day is a new occasion. Written once by the unique index `infusion_without_dose_once` (migration 050).
public enum InfusionDoseWarning {
    public static let daysAhead = 2

    public static func isDue(infusionOn: CalendarDay, today: CalendarDay, hasReservedDose: Bool) -> Bool {
        let days = infusionOn.ordinal - today.ordinal
        return !hasReservedDose && (0...daysAhead).contains(days)
    }
}
