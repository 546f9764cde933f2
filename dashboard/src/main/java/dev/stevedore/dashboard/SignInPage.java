package dev.stevedore.dashboard;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/** Signing in with the admin token, and out. */
@Path("/")
public class SignInPage {

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance login(Page page, String next, String problem);
    }

    @Inject
    Pages pages;

    @Inject
    Access access;

    @GET
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance form(@QueryParam("next") String next, @CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        return Templates.login(pages.page("Sign in", "", session, uri), safeNext(next), null);
    }

    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.TEXT_HTML)
    public Response signIn(@FormParam("token") String token, @FormParam("next") String next, @HeaderParam("Origin") String origin,
                           @HeaderParam("Host") String host, @HeaderParam("X-Forwarded-Proto") String forwardedProto, @Context UriInfo uri) {
        String target = safeNext(next);
        String problem = null;
        if (!access.changesEnabled()) {
            problem = "This dashboard has no STEVEDORE_DASHBOARD_TOKEN, so it is read-only and nobody can sign in.";
        } else if (!Access.sameOrigin(origin, host)) {
            problem = "The sign-in came from another site; sign in from this page.";
        } else if (!access.tokenMatches(token)) {
            problem = "That is not this dashboard's token (STEVEDORE_DASHBOARD_TOKEN).";
        }
        if (problem != null) {
            return Response.status(401).entity(Templates.login(pages.page("Sign in", "", null, uri), target, problem)).build();
        }
        boolean secure = "https".equalsIgnoreCase(forwardedProto) || "https".equalsIgnoreCase(uri.getRequestUri().getScheme());
        NewCookie cookie = new NewCookie.Builder(Access.SESSION_COOKIE).value(access.newSession()).path("/").httpOnly(true).secure(secure)
                .sameSite(NewCookie.SameSite.STRICT).maxAge((int) Access.SESSION_LIFETIME.toSeconds()).build();
        return Response.fromResponse(JobsPage.seeOther(target + (target.contains("?") ? "&" : "?") + "done=signed-in")).cookie(cookie).build();
    }

    @POST
    @Path("logout")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response signOut(@BeanParam ChangeRequest change) {
        change.authorize(access);
        NewCookie expired = new NewCookie.Builder(Access.SESSION_COOKIE).value("").path("/").httpOnly(true).sameSite(NewCookie.SameSite.STRICT)
                .maxAge(0).build();
        return Response.fromResponse(JobsPage.seeOther("/?done=signed-out")).cookie(expired).build();
    }

    /** Only a path of this site: an open redirect would let a link send a freshly signed-in user anywhere. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.contains("\\") || next.startsWith("/login")) {
            return "/";
        }
        // A notice of an earlier change would show again: such a link goes back to its page without its query.
        return next.contains("done=") ? next.substring(0, next.indexOf('?') < 0 ? next.length() : next.indexOf('?')) : next;
    }
}
