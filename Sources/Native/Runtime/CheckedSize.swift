/// The product of `sizes` (a shape read from a file, a header or an argument), or nil when a
/// size is negative or the product passes `limit`. Release builds of Native are -Ounchecked, so
/// a plain `reduce(1, *)` wraps silently: a shape of [2^62] F32 would then claim 0 bytes, pass
/// the size check and send the reads past the end of the file. Pass `Int.max / elementBytes` as
/// the limit when the count is multiplied into bytes next.
public func checkedProduct(_ sizes: [Int], limit: Int = Int.max) -> Int? {
    var product = 1
    for size in sizes {
        guard size >= 0 else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: size)
        guard !overflow, next <= limit else { return nil }
        product = next
    }
    return product
}
