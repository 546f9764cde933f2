package dev.stevedore.dashboard;

import dev.stevedore.queue.Errors;
import dev.stevedore.queue.QueueException;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure as one page that says what happened and what to do: bad input (400, naming the field), a refused change
 * (401/403), a missing job (404), the database unreachable (503: the dashboard keeps running and the page retries).
 */
public class ErrorPages {

    private static final Logger LOG = Logger.getLogger(ErrorPages.class);

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance error(Page page, int status, String heading, String message);
    }

    @Inject
    Pages pages;

    @ServerExceptionMapper
    public Response badInput(IllegalArgumentException e, UriInfo uri, HttpHeaders headers) {
        return page(uri, headers, 400, "That request cannot be answered", e.getMessage());
    }

    @ServerExceptionMapper
    public Response refused(Access.Refused e, UriInfo uri, HttpHeaders headers) {
        return page(uri, headers, e.status(), e.status() == 401 ? "Sign in first" : "Not allowed", e.getMessage());
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e, UriInfo uri, HttpHeaders headers) {
        String message = e.getMessage() != null && e.getMessage().startsWith("There is no") ? e.getMessage() : "There is no page at this address.";
        return page(uri, headers, 404, "Not found", message);
    }

    @ServerExceptionMapper
    public Response databaseDown(QueueException e, UriInfo uri, HttpHeaders headers) {
        String message = Errors.rootMessage(e);
        LOG.warnf("database request failed: %s", message);
        return page(uri, headers, 503, "The database cannot be reached", message + ". The dashboard keeps running and this page tries again by itself.");
    }

    private Response page(UriInfo uri, HttpHeaders headers, int status, String heading, String message) {
        String session = headers.getCookies().containsKey(Access.SESSION_COOKIE) ? headers.getCookies().get(Access.SESSION_COOKIE).getValue() : null;
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE)
                .entity(Templates.error(pages.page(heading, "", session, uri), status, heading, message).render()).build();
    }
}
