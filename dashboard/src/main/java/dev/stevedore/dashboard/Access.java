package dev.stevedore.dashboard;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may change jobs. Reading needs nothing; a change (retry, discard) needs the admin token, given once at sign-in
 * (then a signed session cookie plus a per-session CSRF token in every form) or on each request as
 * {@code Authorization: Bearer <token>} (for scripts; a header no other site can make a browser send).
 *
 * <p>Sessions are stateless: the cookie is {@code expiry.nonce.signature}, signed with a key derived from the token,
 * so every replica accepts it and changing the token signs everyone out.
 */
@Singleton
public class Access {

    public static final String SESSION_COOKIE = "stevedore_session";
    public static final String CSRF_FIELD = "_csrf";
    static final Duration SESSION_LIFETIME = Duration.ofHours(12);

    /** A signed-in browser session. */
    public record Session(String nonce, long expiresAtEpochSecond) {}

    /** Why a change was refused: a page for people, a status for scripts. */
    public static final class Refused extends RuntimeException {
        private final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final byte[] tokenDigest;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;

    @Inject
    Access(QueueConnection queue) {
        this(queue.settings().adminToken(), Clock.systemUTC());
    }

    Access(String adminToken, Clock clock) {
        this.clock = clock;
        this.tokenDigest = adminToken == null ? null : sha256("token:" + adminToken);
        this.key = adminToken == null ? null : new SecretKeySpec(sha256("stevedore-dashboard-session:" + adminToken), "HmacSHA256");
    }

    public boolean changesEnabled() {
        return key != null;
    }

    /** Compares in constant time, on digests, so neither the length nor a prefix of the token leaks. */
    public boolean tokenMatches(String candidate) {
        return tokenDigest != null && candidate != null && MessageDigest.isEqual(tokenDigest, sha256("token:" + candidate));
    }

    /** A new session's cookie value; call only after {@link #tokenMatches}. */
    public String newSession() {
        byte[] nonce = new byte[18];
        random.nextBytes(nonce);
        String payload = (clock.instant().getEpochSecond() + SESSION_LIFETIME.toSeconds()) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        return payload + "." + sign(payload);
    }

    /** The session a cookie value proves, if it is signed by this token and not expired. */
    public Optional<Session> session(String cookie) {
        if (key == null || cookie == null) {
            return Optional.empty();
        }
        String[] parts = cookie.split("\\.");
        if (parts.length != 3) {
            return Optional.empty();
        }
        String payload = parts[0] + "." + parts[1];
        if (!MessageDigest.isEqual(sign(payload).getBytes(StandardCharsets.US_ASCII), parts[2].getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        long expires;
        try {
            expires = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return expires > clock.instant().getEpochSecond() ? Optional.of(new Session(parts[1], expires)) : Optional.empty();
    }

    /** The CSRF token a session's forms carry: bound to that session, so it is worthless with any other cookie. */
    public String csrfToken(Session session) {
        return sign("csrf:" + session.nonce());
    }

    /**
     * Lets a change through or throws {@link Refused}: a bearer token, or a session with its CSRF token from a page of
     * this origin. {@code origin} is the request's Origin header (null when the browser sent none), {@code host} its
     * Host header.
     */
    public void authorizeChange(String authorization, String cookie, String csrf, String origin, String host) {
        if (key == null) {
            throw new Refused(403, "Changes are disabled: this dashboard has no STEVEDORE_DASHBOARD_TOKEN, so it is read-only.");
        }
        boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
        if (bearer && tokenMatches(authorization.substring(7).trim())) {
            return;
        }
        // Another bearer token may be a proxy's in front (an OIDC proxy passes its own on): a session still counts.
        Session session = session(cookie).orElseThrow(() -> new Refused(401, bearer
                ? "The bearer token is not this dashboard's STEVEDORE_DASHBOARD_TOKEN, and no one is signed in."
                : "Sign in to retry or discard jobs."));
        if (!sameOrigin(origin, host)) {
            throw new Refused(403, "The request came from another site (Origin " + origin + "); changes are only taken from this dashboard's own pages.");
        }
        if (csrf == null || !MessageDigest.isEqual(csrfToken(session).getBytes(StandardCharsets.US_ASCII), csrf.getBytes(StandardCharsets.US_ASCII))) {
            throw new Refused(403, "The form's CSRF token is missing or not this session's; reload the page and try again.");
        }
    }

    /** No Origin (older browsers, same-origin GET-made forms in some) passes; the CSRF token is the real check. */
    static boolean sameOrigin(String origin, String host) {
        if (origin == null || origin.isBlank()) {
            return true;
        }
        if (host == null) {
            return false;
        }
        String withoutScheme = origin.replaceFirst("^https?://", "");
        return withoutScheme.equalsIgnoreCase(host);
    }

    private String sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }
}
