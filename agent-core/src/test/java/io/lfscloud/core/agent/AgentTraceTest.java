package io.lfscloud.core.agent;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The remote git-lfs names at init, as the agent's trace shows it: no credentials, no control characters. */
class AgentTraceTest {

    @Test
    void aRemoteIsTracedWithoutTheCredentialsOfItsUrl() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("origin", "origin");
        cases.put("https://lfs-user:s3cret@example.com/team/repo.git", "https://<redacted>@example.com/team/repo.git");
        cases.put("https://token@example.com", "https://<redacted>@example.com");
        cases.put("https://u:p@ss@example.com:8443/r?at=@#@", "https://<redacted>@example.com:8443/r?at=@#@");
        cases.put("https://example.com/a@b", "https://example.com/a@b");
        cases.put("ssh://git@example.com/r.git", "ssh://<redacted>@example.com/r.git");
        cases.put("git@example.com:team/repo.git", "git@example.com:team/repo.git");
        cases.put("https://example.com/\u001b[31mred", "https://example.com/?[31mred");
        cases.put(null, "null");
        cases.forEach((remote, traced) -> assertEquals(traced, Agent.forTrace(remote), remote));
    }
}
