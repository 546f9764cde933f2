package dev.stevedore.dashboard;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.Optional;

/** Builds the {@link Page} of a request: one place decides what the frame of every page says. */
@Singleton
public class Pages {

    private final QueueConnection queue;
    private final Access access;

    @Inject
    Pages(QueueConnection queue, Access access) {
        this.queue = queue;
        this.access = access;
    }

    /**
     * The page's frame. {@code done} and {@code n} come from the redirect after a change ({@code ?done=retried&n=12}); only
     * known values make a notice, so a link cannot put words of its own on the page.
     */
    public Page page(String title, String active, String sessionCookie, UriInfo uri) {
        String count = uri.getQueryParameters().getFirst("n");
        String notice = notice(uri.getQueryParameters().getFirst("done"), count == null || !count.matches("\\d{1,12}") ? null : Long.parseLong(count));
        Optional<Access.Session> session = access.session(sessionCookie);
        String here = uri.getRequestUri().getRawPath() + (uri.getRequestUri().getRawQuery() == null ? "" : "?" + uri.getRequestUri().getRawQuery());
        return new Page(title, active, queue.settings().databaseLabel(), access.changesEnabled(), session.isPresent(),
                session.map(access::csrfToken).orElse(""), notice, queue.settings().refresh().toSeconds(), here, Format.time(Instant.now()));
    }

    static String notice(String done, Long count) {
        if (done == null) {
            return null;
        }
        String jobs = count == null ? "" : Format.number(count) + (count == 1 ? " job" : " jobs");
        return switch (done) {
            case "retried" -> "Retried " + jobs + ": they are available to run now.";
            case "discarded" -> "Discarded " + jobs + ".";
            case "signed-in" -> "Signed in: you can retry and discard jobs.";
            case "signed-out" -> "Signed out.";
            default -> null;
        };
    }
}
