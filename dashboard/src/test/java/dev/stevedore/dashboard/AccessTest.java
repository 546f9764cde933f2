package dev.stevedore.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class AccessTest {

    private static final String TOKEN = "0123456789abcdef-token";
    private final Access access = new Access(TOKEN, Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC));

    @Test
    void aSessionIsSignedByTheTokenAndExpires() {
        String cookie = access.newSession();
        Access.Session session = access.session(cookie).orElseThrow();
        assertThat(session.expiresAtEpochSecond()).isEqualTo(Instant.parse("2026-12-02T22:00:00Z").getEpochSecond());

        String[] parts = cookie.split("\\.");
        assertThat(access.session((Long.parseLong(parts[0]) + 3600) + "." + parts[1] + "." + parts[2])).as("a longer expiry, same signature").isEmpty();
        assertThat(access.session(parts[0] + "." + parts[1] + "." + parts[2].substring(1) + "A")).isEmpty();
        assertThat(access.session("garbage")).isEmpty();
        assertThat(access.session(null)).isEmpty();
        Access later = new Access(TOKEN, Clock.fixed(Instant.parse("2026-12-02T22:00:01Z"), ZoneOffset.UTC));
        assertThat(later.session(cookie)).as("expired").isEmpty();
        Access rotated = new Access(TOKEN + "-rotated", Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC));
        assertThat(rotated.session(cookie)).as("a new token signs everyone out").isEmpty();
    }

    @Test
    void aChangeNeedsTheBearerTokenOrASessionWithItsCsrfTokenFromThisOrigin() {
        String cookie = access.newSession();
        String csrf = access.csrfToken(access.session(cookie).orElseThrow());

        access.authorizeChange(null, cookie, csrf, "http://dash:8080", "dash:8080");
        access.authorizeChange(null, cookie, csrf, null, "dash:8080");
        access.authorizeChange("Bearer " + TOKEN, null, null, "http://evil.example", "dash:8080");

        assertRefused(() -> access.authorizeChange(null, null, csrf, null, "dash:8080"), 401, "Sign in");
        assertRefused(() -> access.authorizeChange(null, cookie, null, null, "dash:8080"), 403, "CSRF token");
        String otherCsrf = access.csrfToken(access.session(access.newSession()).orElseThrow());
        assertRefused(() -> access.authorizeChange(null, cookie, otherCsrf, null, "dash:8080"), 403, "CSRF token");
        assertRefused(() -> access.authorizeChange(null, cookie, csrf, "http://evil.example", "dash:8080"), 403, "another site");
        assertRefused(() -> access.authorizeChange("Bearer nope", null, null, null, "dash:8080"), 401, "bearer token");
        // A proxy's own bearer token in front does not hide the signed-in session.
        access.authorizeChange("Bearer a-proxy-token", cookie, csrf, null, "dash:8080");
        Access readOnly = new Access(null, Clock.systemUTC());
        assertThat(readOnly.changesEnabled()).isFalse();
        assertThat(readOnly.tokenMatches("")).isFalse();
        assertRefused(() -> readOnly.authorizeChange("Bearer x", null, null, null, "dash"), 403, "read-only");
    }

    private static void assertRefused(Runnable change, int status, String words) {
        assertThatThrownBy(change::run).isInstanceOfSatisfying(Access.Refused.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.getMessage()).contains(words);
        });
    }
}
