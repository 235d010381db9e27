import CKernels
import XCTest

@testable import Native

/// Winograd F(2x2, 3x3) against the direct convolution: the same outputs to float rounding, on
/// odd and even planes (tiles reaching past the image), planes narrower than 8 tiles, several
/// bands per image, bias and ReLU; and the same bits on any number of workers.
final class NNWinogradTests: XCTestCase {
    private func compare(
        n: Int, c: Int, oc: Int, h: Int, w: Int, relu: Bool = false, workers: Int = 2, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> [Float] {
        let g = ConvGeometry(C: c, H: h, W: w, OC: oc, K: 3, S: 1, PAD: 1)
        XCTAssertTrue(WinogradPlan.applies(g))
        let x = randomTensor([n, c, h, w], seed: UInt64(c * 31 + h))
        let weight = randomTensor([oc, c, 3, 3], seed: 5, scale: 0.3)
        let bias = randomTensor([oc], seed: 6)
        let direct = Tensor(shape: [n, oc, h, w])
        let scratch = [Float](repeating: 0, count: g.forwardScratch(images: n, workers: 1))
        var s = scratch
        s.withUnsafeMutableBufferPointer {
            conv2d_forward(direct.data, x.data, weight.data, bias.data, n, g, $0.baseAddress!, workers: 1, relu: relu)
        }
        let plan = WinogradPlan(g)
        let fast = Tensor(shape: [n, oc, h, w])
        let u = Tensor(shape: [plan.transformedCount])
        winograd_weights(u.data, weight.data, oc, c)
        var ws = [Float](repeating: 0, count: plan.forwardScratch(workers: workers))
        ws.withUnsafeMutableBufferPointer {
            conv2d_forward_winograd(
                fast.data, x.data, transformed: u.data, bias.data, n, plan, $0.baseAddress!, workers: workers,
                relu: relu)
        }
        // relative to the output's scale: a sum of c * 9 terms that cancel leaves small outputs
        let scale = direct.array.map(abs).max() ?? 1
        let worst = zip(fast.array, direct.array).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(
            worst / scale, 2e-6, "\(n)x\(c)x\(h)x\(w) -> \(oc): worst |diff| \(worst) of \(scale)", file: file,
            line: line)
        return fast.array
    }

    func testMatchesTheDirectConvolution() throws {
        _ = try compare(n: 2, c: 3, oc: 5, h: 7, w: 9)
        _ = try compare(n: 1, c: 4, oc: 2, h: 1, w: 1)
        _ = try compare(n: 3, c: 16, oc: 8, h: 32, w: 41, relu: true)
        _ = try compare(n: 1, c: 1, oc: 3, h: 5, w: 40)
    }

    func testManyBandsAndWorkersGiveTheSameBits() throws {
        let plan = WinogradPlan(ConvGeometry(C: 64, H: 40, W: 80, OC: 64, K: 3, S: 1, PAD: 1))
        XCTAssertGreaterThan(plan.bandsPerImage, 1, "the test must cut images into bands")
        let one = try compare(n: 2, c: 64, oc: 64, h: 40, w: 80, workers: 1)
        let three = try compare(n: 2, c: 64, oc: 64, h: 40, w: 80, workers: 3)
        XCTAssertEqual(one, three)
    }

    /// The transforms (CKernels) give the same bits on every code path this CPU has: 16 tiles a
    /// vector with AVX-512, 8 with AVX2 and the baseline; widths of 1, 15, 17 and 33 tiles leave
    /// partial vectors at each width.
    func testEveryCodePathGivesTheSameBits() throws {
        defer { mm_kernels_cap(Int32(MM_ISA_AVX512)) }
        for (h, w) in [(5, 2), (6, 29), (9, 34), (4, 66)] {
            var results: [String: [Float]] = [:]
            for isa in [MM_ISA_AVX512, MM_ISA_AVX2, MM_ISA_GENERIC] {
                mm_kernels_cap(Int32(isa))
                results[String(cString: mm_kernels_isa())] = try compare(n: 2, c: 3, oc: 4, h: h, w: w, relu: true)
            }
            let reference = try XCTUnwrap(results["generic"])
            for (isa, values) in results { XCTAssertEqual(values, reference, "\(isa), \(h) x \(w)") }
        }
    }

    /// A layer's forward and backward by Winograd against the same layer direct: outputs, input,
    /// weight and bias gradients to float rounding (the weight gradient sums 16 transformed
    /// products over tiles where the direct one sums 9 taps over positions); a layer that does
    /// not apply (stride 2) runs direct whatever it is told, and gives the same bits.
    func testLayerForwardAndBackward() throws {
        for (c, oc, h, w, stride) in [(5, 7, 9, 13, 1), (32, 48, 12, 30, 1), (4, 4, 8, 8, 2)] {
            let x = randomTensor([2, c, h, w], seed: 21)
            var results: [(out: [Float], dx: [Float], dw: [Float], db: [Float])] = []
            for algorithm in [ConvAlgorithm.direct, .winograd] {
                Engine.seed(3)
                let conv = try Conv2d(c, oc, kernelSize: 3, stride: stride, padding: 1)
                conv.algorithm = algorithm
                let out = try conv.forward(x)
                let dout = randomTensor(out.shape, seed: 22)
                let dx = try conv.backward(dout)
                results.append((out.array, dx.array, conv.weight.grad.array, conv.bias!.grad.array))
            }
            let (direct, fast) = (results[0], results[1])
            for (name, a, b) in [
                ("output", fast.out, direct.out), ("input gradient", fast.dx, direct.dx),
                ("weight gradient", fast.dw, direct.dw), ("bias gradient", fast.db, direct.db),
            ] {
                let scale = b.map(abs).max() ?? 1
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst / scale, 2e-6, "\(c) -> \(oc), stride \(stride): \(name)")
                if stride == 2 { XCTAssertEqual(a, b, "\(name) of a layer Winograd does not apply to") }
            }
        }
    }

    /// `auto` takes Winograd from 128 positions, forward and gradients alike: on a 16-channel
    /// 8 x 16 plane both directions come out close to the direct ones (not the same bits), on
    /// an 8 x 15 plane (120 positions) the same bits as a direct layer.
    func testAutoTakesWinogradFrom128Positions() throws {
        for (w, winograd) in [(16, true), (15, false)] {
            let g = ConvGeometry(C: 16, H: 8, W: w, OC: 16, K: 3, S: 1, PAD: 1)
            XCTAssertEqual(WinogradPlan.pays(g), winograd)
            let x = randomTensor([2, 16, 8, w], seed: 41)
            var results: [(out: [Float], dx: [Float], dw: [Float])] = []
            for algorithm in [ConvAlgorithm.direct, .auto] {
                Engine.seed(5)
                let conv = try Conv2d(16, 16, kernelSize: 3, padding: 1)
                conv.algorithm = algorithm
                let out = try conv.forward(x)
                let dx = try conv.backward(randomTensor(out.shape, seed: 42))
                results.append((out.array, dx.array, conv.weight.grad.array))
            }
            let pairs = [
                ("forward", results[1].out, results[0].out), ("input gradient", results[1].dx, results[0].dx),
                ("weight gradient", results[1].dw, results[0].dw),
            ]
            for (name, auto, direct) in pairs {
                if winograd {
                    XCTAssertNotEqual(auto, direct, "\(name) by Winograd under auto")
                    let scale = direct.map(abs).max() ?? 1
                    let worst = zip(auto, direct).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst / scale, 2e-6, name)
                } else {
                    XCTAssertEqual(auto, direct, "\(name) direct under auto")
                }
            }
        }
    }

    /// Small planes group whole images into one unit of work that every worker shares: two
    /// groups here (13 images of 84 tiles, then 2), the same as the direct convolution to
    /// rounding, and the same bits on 1 and 3 workers.
    func testGroupedImagesMatchTheDirectConvolution() throws {
        let plan = WinogradPlan(ConvGeometry(C: 16, H: 8, W: 41, OC: 24, K: 3, S: 1, PAD: 1))
        XCTAssertEqual(plan.imagesPerGroup, 13)
        let one = try compare(n: 15, c: 16, oc: 24, h: 8, w: 41, relu: true, workers: 1)
        let three = try compare(n: 15, c: 16, oc: 24, h: 8, w: 41, relu: true, workers: 3)
        XCTAssertEqual(one, three)
        XCTAssertEqual(WinogradPlan(ConvGeometry(C: 64, H: 40, W: 80, OC: 64, K: 3, S: 1, PAD: 1)).imagesPerGroup, 0)
    }

    /// The weight gradient's shards are fixed by the batch and the geometry: 1 and 3 workers give
    /// the same bits, on images cut into several bands.
    func testWeightGradientIsTheSameBitsOnAnyNumberOfWorkers() throws {
        let x = randomTensor([3, 64, 40, 80], seed: 31)
        let saved = Engine.threads
        defer { Engine.threads = saved }
        var gradients: [[Float]] = []
        for threads in [1, 3] {
            Engine.threads = threads
            Engine.seed(4)
            let conv = try Conv2d(64, 64, kernelSize: 3, padding: 1)
            conv.algorithm = .winograd
            let out = try conv.forward(x)
            XCTAssertGreaterThan(
                WinogradPlan(ConvGeometry(C: 64, H: 40, W: 80, OC: 64, K: 3, S: 1, PAD: 1)).bandsPerImage, 1)
            _ = try conv.backward(randomTensor(out.shape, seed: 32))
            gradients.append(conv.weight.grad.array)
        }
        XCTAssertEqual(gradients[0], gradients[1])
    }

    /// In evaluation the transformed kernels are kept while the weights stay the same, and made
    /// anew when they change (a loaded checkpoint, an optimiser step).
    func testEvaluationKeepsTheTransformedKernelsUntilTheWeightsChange() throws {
        let conv = try Conv2d(8, 8, kernelSize: 3, padding: 1)
        conv.algorithm = .winograd
        conv.setTraining(false)
        let x = randomTensor([1, 8, 6, 10], seed: 31)
        let first = try conv.forward(x).array
        XCTAssertEqual(try conv.forward(x).array, first)
        conv.weight.value[5] += 0.5
        let changed = try conv.forward(x).array
        XCTAssertNotEqual(changed, first)
        conv.algorithm = .direct
        let direct = try conv.forward(x).array
        let worst = zip(changed, direct).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst / (direct.map(abs).max() ?? 1), 2e-6)
    }

    func testOnlyStrideOnePaddedThreeByThreeApplies() {
        XCTAssertFalse(WinogradPlan.applies(ConvGeometry(C: 1, H: 8, W: 8, OC: 1, K: 3, S: 2, PAD: 1)))
        XCTAssertFalse(WinogradPlan.applies(ConvGeometry(C: 1, H: 8, W: 8, OC: 1, K: 3, S: 1, PAD: 0)))
        XCTAssertFalse(WinogradPlan.applies(ConvGeometry(C: 1, H: 8, W: 8, OC: 1, K: 5, S: 1, PAD: 2)))
    }
}
