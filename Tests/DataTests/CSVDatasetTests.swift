import Foundation
import Tensors
import Testing
@testable import Data

@Suite struct CSVDatasetTests {
    @Test func headerDeclaredTasksWithMissingCellsAndQuotedCommas() throws {
        let dir = try makeTemporaryDirectory()
        let text = """
            height,task:species:multiclass,"width, cm",task:edible:binary,"task:mass:regression",note
            1.5,2,3,1,10.5,7
            2.5,,4,0,,"8"
            "3.5",0," 1e3 ",,-2,9\r
            4.5,1,5e-1,1,3,10

            """
        let url = try writeText(text, named: "plants.csv", in: dir)
        let ds = try CSVDataset.load(url)
        #expect(ds.name == "plants")
        #expect(ds.inputs.shape == [4, 3])
        #expect(ds.inputs.scalars == [1.5, 3, 7, 2.5, 4, 8, 3.5, 1000, 9, 4.5, 0.5, 10])
        #expect(ds.taskNames == ["species", "edible", "mass"])
        #expect(ds.tasks.map(\.kind) == [.multiclass(classes: 3), .binary, .regression])
        #expect(ds.labels["species"]!.scalars.map { $0.isNaN ? -1 : $0 } == [2, -1, 0, 1])
        #expect(ds.labels["edible"]!.scalars.map { $0.isNaN ? -1 : $0 } == [1, 0, -1, 1])
        #expect(ds.labels["mass"]!.scalars.map { $0.isNaN ? -1 : $0 } == [10.5, -1, -2, 3])
        #expect(ds.tasks[0].summary.contains("plants.csv"))
    }

    @Test func quotedFieldsMayHoldQuotesAndNewlines() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("a,\"task:label\"\n\"1\",\"0\"\n\"2\"\"\",1\n", named: "q.csv", in: dir)
        guard case .malformedCSV(_, let line, let column, let reason) = dataError({ try CSVDataset.load(url) }) else {
            Issue.record("expected a feature error for 2\"")
            return
        }
        #expect(line == 3 && column == 1)
        #expect(reason.contains("'2\"'"))
        let records = try CSVReader.records(Array("x,\"multi\nline, with comma\",\"say \"\"hi\"\"\"\ny,,\"\"\n".utf8), path: "mem")
        #expect(records.map(\.fields) == [["x", "multi\nline, with comma", "say \"hi\""], ["y", "", ""]])
        #expect(records.map(\.line) == [1, 3])
    }

    @Test func explicitTaskMapOverridesHeaders() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("f1,grade,f2,score\n1,4,2,0.5\n3,0,4,\n", named: "t.csv", in: dir)
        let ds = try CSVDataset.load(url, tasks: ["grade": .multiclass(classes: 5), "score": .regression], name: "custom")
        #expect(ds.name == "custom")
        #expect(ds.taskNames == ["grade", "score"])
        #expect(ds.inputs.scalars == [1, 2, 3, 4])
        #expect(ds.labels["score"]!.scalars[1].isNaN)
        let error = dataError { try CSVDataset.load(url, tasks: ["grade": .multiclass(classes: 3)]) }
        #expect(error == .malformedCSV(path: url.path, line: 2, column: 2, reason: "task 'grade': label 4.0 is not a class index in 0..<3"))
        #expect(error?.description == "\(url.path):2:2: task 'grade': label 4.0 is not a class index in 0..<3")
        guard case .malformedCSV(_, 1, 0, let reason) = dataError({ try CSVDataset.load(url, tasks: ["nope": .binary]) }) else {
            Issue.record("expected a missing-column error")
            return
        }
        #expect(reason.contains("'nope'"))
    }

    @Test func bareTaskHeadersInferTheKind() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("x,task:flag,task:digit,task:value,task:fixed:multiclass:7\n1,0,3,0.5,1\n2,1,0,2,\n3,,1,-1,2\n", named: "i.csv", in: dir)
        let ds = try CSVDataset.load(url)
        #expect(ds.tasks.map(\.kind) == [.binary, .multiclass(classes: 4), .regression, .multiclass(classes: 7)])
    }

    @Test func featureCellErrorsNameFileLineAndColumn() throws {
        let dir = try makeTemporaryDirectory()
        let empty = try writeText("a,b,task:y\n1,2,0\n3,,1\n", named: "empty.csv", in: dir)
        let error = dataError { try CSVDataset.load(empty) }
        #expect(error == .malformedCSV(path: empty.path, line: 3, column: 2, reason: "empty cell in feature column 'b'"))
        #expect(error?.description == "\(empty.path):3:2: empty cell in feature column 'b'")
        let word = try writeText("a,b,task:y\n1,2,0\n\"x,1\",7,1\n", named: "word.csv", in: dir)
        #expect(dataError { try CSVDataset.load(word) }
            == .malformedCSV(path: word.path, line: 3, column: 1, reason: "'x,1' in feature column 'a' is not a finite number"))
        let nan = try writeText("a,task:y\nnan,1\n", named: "nan.csv", in: dir)
        #expect(dataError { try CSVDataset.load(nan) }?.description.contains("nan.csv:2:1") == true)
    }

    @Test func structuralErrors() throws {
        let dir = try makeTemporaryDirectory()
        func error(_ text: String) throws -> DataError? {
            let url = try writeText(text, named: "s.csv", in: dir)
            return dataError { try CSVDataset.load(url) }
        }
        let path = dir.appendingPathComponent("s.csv").path
        #expect(try error("") == .malformedCSV(path: path, line: 1, column: 0, reason: "the file is empty; a header row is required"))
        #expect(try error("a,task:b\n1,2\n3\n") == .malformedCSV(path: path, line: 3, column: 0, reason: "expected 2 fields like the header, found 1"))
        // Headers that would silently read wrong: no label column, no feature, an unnamed (index) column, not UTF-8.
        #expect(try error("a,b\n1,2\n") == .malformedCSV(path: path, line: 1, column: 0, reason: "no label column: head each task's column task:<name> (e.g. task:price:regression)"))
        #expect(try error("a,Task:b\n1,2\n")?.description.contains("'task:' is lower case, so 'Task:b' read as features") == true)
        #expect(try error("task:a,task:b\n1,0\n")?.description.contains("no feature column: every column is a task's label") == true)
        #expect(try error(",a,task:b\n0,1,2\n") == .malformedCSV(path: path, line: 1, column: 1, reason: "column 1 has no name (pandas writes its index so: save with index=False, or name the column)"))
        // A bare task:<name> of 0/1 labels but one stray -1: an error at its line, not a silent regression.
        let stray = "a,task:y\n" + (0..<30).map { "\($0),\($0 == 17 ? "-1" : "\($0 % 2)")" }.joined(separator: "\n") + "\n"
        #expect(try error(stray) == .malformedCSV(path: path, line: 19, column: 2, reason: "task 'y': label -1.0 is not a class index, while 29 of its 30 labels are; fix it, or head the column task:y:regression if the task is a regression"))
        let huge = "a,task:y\n" + (0..<30).map { "\($0),\($0 == 4 ? "1000000" : "\($0 % 3)")" }.joined(separator: "\n") + "\n"
        #expect(try error(huge) == .malformedCSV(path: path, line: 6, column: 2, reason: "task 'y': label 1000000 would make 1000001 classes, but only 4 distinct labels are present; fix it, or head the column task:y:multiclass:1000001 to mean it"))
        let regression = "a,task:y\n" + (0..<30).map { "\($0),\(Double($0) * 0.37)" }.joined(separator: "\n") + "\n"
        #expect(try CSVDataset.load(try writeText(regression, named: "r.csv", in: dir)).tasks[0].kind == .regression)
        let latin1 = dir.appendingPathComponent("latin1.csv")
        try Data([0x61, 0xE9, 0x2C, 0x74, 0x61, 0x73, 0x6B, 0x3A, 0x62, 0x0A, 0x31, 0x2C, 0x30, 0x0A]).write(to: latin1)  // "aé,task:b" in Latin-1
        #expect(dataError { try CSVDataset.load(latin1) } == .malformedCSV(path: latin1.path, line: 1, column: 1, reason: "the header is not UTF-8 text"))
        #expect(try error("a,a\n1,2\n") == .malformedCSV(path: path, line: 1, column: 2, reason: "column name 'a' repeats column 1"))
        #expect(try error("a,\"b\n1,2\n")?.description == "\(path):1:2: quoted field is never closed")
        #expect(try error("a,\"b\"c\n") == .malformedCSV(path: path, line: 1, column: 2, reason: "unexpected text after a closing quote"))
        #expect(try error("a,task:y:binary\n1,2\n") == .malformedCSV(path: path, line: 2, column: 2, reason: "task 'y': label 2.0 is not 0 or 1"))
        #expect(try error("a,task:y:ordinal\n1,2\n")?.description.contains("header 'task:y:ordinal'") == true)
        #expect(try error("a,task:y:multiclass\n1,\n")?.description.contains("no labels to infer its class count") == true)
        #expect(try error("a,task:y:multiclass\n1,1.5\n")?.description.contains("not a class index") == true)
        #expect(try error("a,task:y,task:y:binary\n1,1,1\n")?.description.contains("already declared by column 2") == true)
        #expect(try error("a,task:y:regression\n1,abc\n") == .malformedCSV(path: path, line: 2, column: 2, reason: "task 'y': label 'abc' is not a finite decimal number"))
        let missing = dir.appendingPathComponent("none.csv")
        #expect(dataError { try CSVDataset.load(missing) } == .fileNotFound(path: missing.path))
    }

    @Test func headerOnlyGivesAnEmptyDataset() throws {
        let dir = try makeTemporaryDirectory()
        let url = try writeText("\u{FEFF}a,b,task:y:binary\r\n", named: "h.csv", in: dir)
        let ds = try CSVDataset.load(url)
        #expect(ds.count == 0)
        #expect(ds.exampleShape == [2])
        #expect(ds.taskNames == ["y"])
    }
}
