// The scan for repeated keys in JSON text: escapes, nesting, and text that is not JSON.

import Foundation
import SafeTensors
import Testing

@Suite("Duplicate JSON keys")
struct DuplicateKeyTests {
    static func duplicate(_ text: String) -> DuplicateJSONKey? { firstDuplicateKey(inJSON: text) }

    @Test func distinctKeysPass() {
        for text in [#"{}"#, #"[]"#, #""a""#, #"{"a":1,"b":2}"#, #"{"a":{"a":1},"b":{"a":2}}"#,
                     #"[{"a":1},{"a":2}]"#, #"{"a":[{"b":1},{"b":2}],"b":[]}"#, #"{"a":"b","b":"a"}"#,
                     #"{"a":1,"A":2,"a ":3}"#, #"{"x":"{\"k\":1,\"k\":2}","k":"\\"}"#,
                     #"{"\\u0061":1,"a":2}"#,  // a backslash and "u0061", not "a"
                     #"{"\"":1,"\\":2,"/":3,"\b\f\n\r\t":4}"#] {
            #expect(Self.duplicate(text) == nil, "\(text)")
        }
    }

    @Test func repeatedKeysAreFoundWithTheirPlace() {
        let cases: [(String, DuplicateJSONKey)] = [
            (#"{"hidden_size": 512, "hidden_size": 64}"#, DuplicateJSONKey(key: "hidden_size", path: [])),
            (#"{"a":{"b":1,"c":{},"b":2}}"#, DuplicateJSONKey(key: "b", path: ["a"])),
            (#"{"a":{"x":1},"a":2}"#, DuplicateJSONKey(key: "a", path: [])),
            (#"{"t":{"lr":[0,{"k":1,"k":2}]}}"#, DuplicateJSONKey(key: "k", path: ["t", "lr", "[1]"])),
            (#"[1,[2,{"q":1,"q":1}]]"#, DuplicateJSONKey(key: "q", path: ["[1]", "[1]"])),
        ]
        for (text, expected) in cases { #expect(Self.duplicate(text) == expected, "\(text)") }
    }

    @Test func keysAreComparedAfterUnescaping() {
        let pairs: [(String, String, String)] = [
            (#""a""#, #""\u0061""#, "a"),
            (#""\u00E9""#, #""\u00e9""#, "é"),
            (#""a\"b""#, #""a\u0022b""#, "a\"b"),
            (#""a\\b""#, #""a\u005cb""#, "a\\b"),
            (#""a/b""#, #""a\/b""#, "a/b"),
            (#""\n""#, #""\u000A""#, "\n"),
            (#""😀""#, #""\ud83d\ude00""#, "😀"),
            (#""é""#, #""\u00e9""#, "é"),
            (#""é""#, #""e\u0301""#, "é"),  // canonically equivalent: one key for Swift
            (#""\ud800""#, #""\udc00""#, "\u{FFFD}"),  // unpaired surrogates both stand for U+FFFD
        ]
        for (x, y, key) in pairs {
            let found = Self.duplicate("{\(x):1,\(y):2}")
            #expect(found?.key == key, "\(x) \(y): \(String(describing: found))")
        }
    }

    @Test func bytesAndStringsGiveTheSameAnswer() {
        let text = #"{"__metadata__":{"charrnn":"{\"a\":1}","charrnn":"x"}}"#
        #expect(firstDuplicateKey(inJSON: Array(text.utf8)) == DuplicateJSONKey(key: "charrnn", path: ["__metadata__"]))
        #expect(firstDuplicateKey(inJSON: Array(text.utf8)[...]) == Self.duplicate(text))
    }

    @Test func textThatIsNotJSONNeverTraps() {
        for text in ["", "{", "}", "}}}]]", "\"", "{\"a", "{\"a\\", "{\"a\\u12", "{\"a\\ud800\\u", "{\"\\u0061\":1,\"a", ",,,:",
                     String(repeating: "[{", count: 100_000)] {
            _ = Self.duplicate(text)
        }
        #expect(Self.duplicate(#"{"a":1,"a"#) == DuplicateJSONKey(key: "a", path: []))
    }
}
