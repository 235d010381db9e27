import XCTest

@testable import Native

final class TensorTests: XCTestCase {
    func testStorageIs64ByteAlignedAndZeroed() {
        let t = Tensor(shape: [3, 5, 7])
        XCTAssertEqual(Int(bitPattern: t.data) % 64, 0)
        XCTAssertEqual(t.array, [Float](repeating: 0, count: 105))
    }

    func testReshapeAndBatchAreViewsSharingStorage() throws {
        let t = try Tensor(shape: [4, 2, 3], values: (0..<24).map(Float.init))
        let flat = try t.reshaped([4, -1])
        XCTAssertEqual(flat.shape, [4, 6])
        let items = try t.batch(1..<3)
        XCTAssertEqual(items.shape, [2, 2, 3])
        XCTAssertEqual(items[0], 6)
        items[0] = -1
        XCTAssertEqual(t[6], -1)
        XCTAssertEqual(flat[6], -1)
        XCTAssertThrowsError(try t.reshaped([5, -1]))
        XCTAssertThrowsError(try t.batch(3..<5))
    }

    func testWorkspaceHandsADeadTensorsBlockToTheNextOfItsSize() {
        let workspace = Workspace()
        var a: Tensor? = workspace.zeros([2, 3])
        let address = a!.data
        a = nil
        XCTAssertEqual(workspace.idleBytes, 64)
        let b = workspace.uninitialized([3, 2])
        XCTAssertEqual(b.data, address)
        XCTAssertEqual(workspace.idleBytes, 0)
        XCTAssertNotEqual(workspace.uninitialized([7]).data, address)
    }

    func testWorkspaceZerosARecycledBlock() {
        let workspace = Workspace()
        var a: Tensor? = workspace.uninitialized([100])
        a!.fill(3)
        a = nil
        XCTAssertEqual(workspace.zeros([100]).array, [Float](repeating: 0, count: 100))
    }

    func testWorkspaceLendsOneScratchBlockGrownToTheLargestRequest() {
        let workspace = Workspace()
        let small = workspace.withScratch(1000) { $0 }
        let large = workspace.withScratch(5000) { $0 }
        XCTAssertEqual(workspace.withScratch(2000) { $0 }, large)
        XCTAssertEqual(workspace.idleBytes, 20032)
        _ = small
    }

    func testWorkspaceRecordingIsOffOnlyInsideWithoutRecording() {
        let workspace = Workspace()
        XCTAssertTrue(workspace.recordsForBackward)
        XCTAssertFalse(workspace.withoutRecording { workspace.recordsForBackward })
        XCTAssertTrue(workspace.recordsForBackward)
    }

    func testMatmulAgainstTheDefinition() throws {
        let a = randomTensor([5, 7], seed: 1)
        let b = randomTensor([7, 3], seed: 2)
        let c = try a.matmul(b)
        for i in 0..<5 {
            for j in 0..<3 {
                let expected = (0..<7).reduce(0.0) { $0 + Double(a[i * 7 + $1]) * Double(b[$1 * 3 + j]) }
                XCTAssertEqual(Double(c[i * 3 + j]), expected, accuracy: 1e-5)
            }
        }
        XCTAssertThrowsError(try a.matmul(a)) { XCTAssertTrue("\($0)".contains("[5, 7]")) }
    }

    func testSoftmaxArgmaxAndReductions() throws {
        let t = try Tensor(shape: [2, 3], values: [1, 2, 3, 1000, 0, -1000])
        let p = t.softmax()
        let e = [exp(-2.0), exp(-1.0), 1]
        for j in 0..<3 { XCTAssertEqual(Double(p[j]), e[j] / e.reduce(0, +), accuracy: 1e-6) }
        XCTAssertEqual(Array(p.array.suffix(3)), [1, 0, 0])  // no overflow at 1000
        XCTAssertEqual(t.argmax(), [2, 0])
        XCTAssertEqual(t.argmax(dim: 0), [1, 0, 0])
        XCTAssertEqual(t.sum(), 6)
        XCTAssertEqual(t.max(), 1000)
    }

    func testElementwiseOpsCheckShapes() throws {
        let a = try Tensor(shape: [3], values: [1, 2, 3])
        let b = try Tensor(shape: [3], values: [4, 5, 6])
        XCTAssertEqual(try a.adding(b).array, [5, 7, 9])
        XCTAssertEqual(try a.multiplying(b).array, [4, 10, 18])
        XCTAssertEqual(a.scaled(2).array, [2, 4, 6])
        XCTAssertThrowsError(try a.adding(Tensor(shape: [4]))) { XCTAssertTrue("\($0)".contains("[3] and [4]")) }
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [1]))
    }
}
