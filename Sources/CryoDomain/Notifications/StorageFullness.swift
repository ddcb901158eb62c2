/// Issue 28: a box or a freezer over 90 % full is announced once when it crosses the line (`box.nearly-full`,
/// `freezer.nearly-full`), not on every placement while above it, and again only after it went back to 90 % or
/// below and crossed again. A box holds rows × columns vials; a freezer holds what its boxes hold.
/// SQL twin: `storage_nearly_full(used, capacity)` (migration 050), applied with the state table `storage_fullness`
/// by `Store.noteStorageFullness` in the transaction that places, moves or takes out vials.
public enum StorageFullness {
    /// Over 90 %: strictly more than nine tenths of the positions hold a vial (73 of 81, not 72 of 80).
    public static func isNearlyFull(used: Int, capacity: Int) -> Bool {
        capacity > 0 && used * 10 > capacity * 9
    }
}
