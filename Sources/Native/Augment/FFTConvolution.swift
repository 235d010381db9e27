/// Linear convolution y = x * h (x.count + h.count - 1 samples) through the shared real FFT
/// plans of `RealFFT`, which only transform forwards. The inverse uses the Hartley transform,
/// its own inverse: for a real signal y with spectrum Y = F(y),
///
///   DHT(y)[k] = Re Y[k] - Im Y[k]   and   y = (1/N) DHT(DHT(y)),
///
/// so y = (1/N) (Re F(g) - Im F(g)) with g[k] = Re Y[k] - Im Y[k], where Y = F(x) F(h) and the
/// bins above N/2 follow from Hermitian symmetry, Y[N-k] = conj Y[k]. Three forward real FFTs of
/// a power-of-two size N, against x.count x h.count multiply-adds directly.
func convolve(_ x: [Float], _ h: [Float]) -> [Float] {
    guard !x.isEmpty, !h.isEmpty else { return [] }
    let length = x.count + h.count - 1
    var n = 1
    while n < length { n <<= 1 }
    n = max(n, 16)
    let fft = RealFFT<Float>.plan(size: n)
    let buffers = RealFFT<Float>.Buffers(size: n)
    let half = n / 2 + 1

    func spectrum(_ signal: [Float]) -> [Float] {
        buffers.input.update(repeating: 0, count: n)
        signal.withUnsafeBufferPointer { buffers.input.update(from: $0.baseAddress!, count: signal.count) }
        fft.transform(buffers)
        return Array(UnsafeBufferPointer(start: buffers.output, count: 2 * half))
    }
    let (sx, sh) = (spectrum(x), spectrum(h))
    // g[k] = Re Y[k] - Im Y[k], Y = X H; for k > N/2, Y[k] = conj Y[N-k] gives Re + Im.
    for k in 0..<n {
        let m = k < half ? k : n - k
        let (a, b, c, d) = (sx[2 * m], sx[2 * m + 1], sh[2 * m], sh[2 * m + 1])
        let (re, im) = (a * c - b * d, a * d + b * c)
        buffers.input[k] = k < half ? re - im : re + im
    }
    fft.transform(buffers)
    let scale = 1 / Float(n)
    return (0..<length).map { t in
        let m = t < half ? t : n - t
        let (re, im) = (buffers.output[2 * m], buffers.output[2 * m + 1])
        return scale * (t < half ? re - im : re + im)
    }
}
