import Testing
@testable import NN

@Suite("Header JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func keepsMemberOrderAndDuplicates() throws {
        guard case .object(let members) = try parse(#" {"b": 1, "a": [true, null, -2.5e1], "b": "x"}  "#) else {
            Issue.record("not an object"); return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[1].value.rendered() == "[true,null,-25.0]")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        guard case .string(let s) = try parse(#""q\" b\\ s\/ \n\t \u00e9 \ud83d\ude00 λ""#) else { Issue.record("not a string"); return }
        #expect(s == "q\" b\\ s/ \n\t é 😀 λ")
        #expect(JSONValue.quoted("a\"b\\c\n\u{1}λ") == #""a\"b\\c\n\u0001λ""#)
        #expect(try parse(JSONValue.quoted("x\u{1F}\"\\y")).rendered() == JSONValue.quoted("x\u{1F}\"\\y"))
    }

    @Test func distinguishesIntegersFromOtherNumbers() throws {
        guard case .array(let values) = try parse("[0, -7, 9223372036854775807, 9223372036854775808, 1.0, 1e2]") else {
            Issue.record("not an array"); return
        }
        #expect(values.map(\.kind) == ["integer", "integer", "integer", "number", "number", "number"])
    }

    @Test(arguments: [
        "", "{", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"a\u{1}\"", "{} {}", "{'a':1}", "1e999", String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
    ])
    func rejectsInvalidText(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try parse(text) }
    }

    @Test func acceptsNestingUpToTheLimit() throws {
        let depth = JSONParser.maximumDepth
        #expect(try parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).kind == "array")
    }
}
