package dev.stevedore.dashboard;

import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.HeaderParam;

/** What a change request carries to prove who sends it: see {@link Access#authorizeChange}. */
public class ChangeRequest {

    @HeaderParam("Authorization")
    String authorization;

    @CookieParam(Access.SESSION_COOKIE)
    String session;

    @FormParam(Access.CSRF_FIELD)
    String csrf;

    @HeaderParam("Origin")
    String origin;

    @HeaderParam("Host")
    String host;

    void authorize(Access access) {
        access.authorizeChange(authorization, session, csrf, origin, host);
    }
}
