package io.lfscloud.core.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The --json documents: the README's schema, sorted keys, nothing a terminal would act on. */
class JsonOutputTest {

    @Test
    void documentsHaveTheirSchemaVersionSortedKeysAndEscapedText() {
        JsonOutput.Place place = new JsonOutput.Place("d\u00e9j\u00e0/\u001b[2J\u007f\u202e.bin", "https://h/x", null, 5L,
                "pending", false, "", null);
        assertEquals("""
                {
                  "command": "status",
                  "corrupt": [
                    {
                      "hint": "fix",
                      "problem": "bad"
                    }
                  ],
                  "places": [
                    {
                      "detail": "",
                      "hint": null,
                      "local": false,
                      "path": "d\\u00E9j\\u00E0/\\u001B[2J\\u007F\\u202E.bin",
                      "sha256": null,
                      "size": 5,
                      "state": "pending",
                      "url": "https://h/x"
                    }
                  ],
                  "schemaVersion": 1
                }""", JsonOutput.write(new JsonOutput.Status(List.of(place), List.of(new JsonOutput.Corrupt("bad", "fix")))));
    }

    @Test
    void verifyAndDoctorNameTheirCommandAndVerdict() {
        String verify = JsonOutput.write(new JsonOutput.Verify(true, List.of(), List.of(),
                new JsonOutput.Summary(0, 0, 0, 0, 0)));
        assertEquals(true, verify.contains("\"command\": \"verify\"") && verify.contains("\"deep\": true")
                && verify.contains("\"places\": [ ]") && verify.contains("\"unchecked\": 0"), verify);
        String doctor = JsonOutput.write(new JsonOutput.Doctor(List.of(new JsonOutput.Check("git", "ok", "git 2", null)), "ok"));
        assertEquals(true, doctor.contains("\"verdict\": \"ok\"") && doctor.contains("\"schemaVersion\": 1"), doctor);
    }
}
