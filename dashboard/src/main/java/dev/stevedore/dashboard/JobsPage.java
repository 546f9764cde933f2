package dev.stevedore.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.QueueAdmin;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Jobs: a filtered listing, newest first, a page at a time; a job's page with its whole history and the cause of every
 * prune; retry and discard of one job, or of every job a filter matches after a confirmation that says how many.
 */
@Path("/jobs")
public class JobsPage {

    static final int PAGE_SIZE = 50;

    @TemplateData
    public record JobRow(long id, String state, String queue, String handler, String attempts, int prunes, String error, String errorDetail,
                         String when, String whenTitle) {}

    @TemplateData
    public record ListView(JobFilterForm filter, List<String> states, List<JobRow> jobs, String olderLink, String newestLink,
                           String retryLink, String discardLink, String problem) {}

    @TemplateData
    public record ErrorRow(int number, String at, Integer attempt, String errorClass, String message, boolean pruned, String reason,
                           String pool, String pod, String node, String host, String pid, String exitCode, String signal, String lastHeartbeat,
                           String silentFor) {}

    @TemplateData
    public record JobDetail(long id, String state, String queue, String handler, int priority, String attempts, int prunes, String uniqueKey,
                            String concurrency, String claimedBy, String runAt, String createdAt, String claimedAt, String finishedAt, String args,
                            String checkpoint, List<ErrorRow> errors, boolean retryable, boolean discardable) {}

    @TemplateData
    public record Confirmation(String action, String verb, long count, String countText, String description, String states, String target,
                               long beforeId, String back) {}

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance jobs(Page page, ListView view);

        static native TemplateInstance job(Page page, JobDetail job);

        static native TemplateInstance confirm(Page page, Confirmation confirmation);
    }

    @Inject
    QueueConnection queue;

    @Inject
    Pages pages;

    @Inject
    Access access;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance list(@BeanParam FilterParams params, @QueryParam("before") String before,
                                 @CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        JobFilterForm form = params.form();
        Page page = pages.page("Jobs", "jobs", session, uri);
        List<String> states = Arrays.stream(JobState.values()).map(JobState::dbName).toList();
        JobFilter filter;
        Long beforeId;
        try {
            filter = form.toFilter(PAGE_SIZE);
            beforeId = before == null || before.isBlank() ? null : parseId(before, "before");
        } catch (IllegalArgumentException e) {
            return Templates.jobs(page, new ListView(form, states, List.of(), null, null, null, null, e.getMessage()));
        }
        QueueAdmin admin = queue.admin();
        Instant now = Instant.now();
        List<JobView> jobs = admin.list(filter.withBeforeId(beforeId));
        List<JobRow> rows = jobs.stream().map(j -> row(j, now)).toList();
        String older = jobs.size() == PAGE_SIZE ? "/jobs" + form.query("before", Long.toString(jobs.get(jobs.size() - 1).id())) : null;
        String newest = beforeId == null ? null : "/jobs" + form.query();
        boolean bounded = !form.isEmpty();
        String retry = bounded ? "/jobs/confirm" + form.query("action", "retry") : null;
        String discard = bounded ? "/jobs/confirm" + form.query("action", "discard") : null;
        return Templates.jobs(page, new ListView(form, states, rows, older, newest, retry, discard, null));
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@PathParam("id") String id, @CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        long jobId;
        try {
            jobId = parseId(id, "job id");
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("There is no job " + id + ": a job id is a whole number.");
        }
        JobView job = queue.admin().show(jobId).orElseThrow(() -> new NotFoundException("There is no job " + jobId
                + ": it may have been deleted after its retention period."));
        return Templates.job(pages.page("Job " + jobId, "jobs", session, uri), detail(job, Instant.now()));
    }

    /** Says how many jobs a bulk change would touch, and asks. Nothing changes here. */
    @GET
    @Path("confirm")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance confirm(@BeanParam FilterParams params, @QueryParam("action") String action,
                                    @CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        Bulk bulk = Bulk.of(action);
        JobFilterForm form = params.form();
        if (form.isEmpty()) {
            throw new IllegalArgumentException("A bulk " + bulk.name + " needs a filter (state, queue, handler, error, since or until).");
        }
        JobFilter filter = form.toFilter(1);
        // Relative times become instants, the database's clock now bounds the last step, and the newest id bounds creation:
        // what runs after the confirmation is what was counted, not jobs created or finished in between.
        Instant now = queue.insights().now();
        Instant until = filter.until() == null || filter.until().isAfter(now) ? now : filter.until();
        JobFilterForm fixed = new JobFilterForm(form.state(), form.queue(), form.handler(), form.error(),
                filter.since() == null ? null : filter.since().toString(), until.toString());
        List<JobView> newest = queue.admin().list(JobFilter.all().withLimit(1));
        long beforeId = newest.isEmpty() ? 1 : newest.get(0).id() + 1;
        JobFilter bounded = fixed.toFilter(1).withBeforeId(beforeId);
        long count = bulk == Bulk.RETRY ? queue.admin().countRetryable(bounded) : queue.admin().countDiscardable(bounded);
        String states = QueueAdmin.eligibleStates(filter, bulk == Bulk.RETRY ? QueueAdmin.RETRYABLE : QueueAdmin.DISCARDABLE).stream()
                .map(JobState::dbName).sorted().reduce((a, b) -> a + ", " + b).orElse("none");
        return Templates.confirm(pages.page("Confirm " + bulk.name, "jobs", session, uri),
                new Confirmation(bulk.name, bulk.verb, count, Format.number(count) + (count == 1 ? " job" : " jobs"), form.describe(), states,
                        "/jobs/bulk" + fixed.query(), beforeId, "/jobs" + form.query()));
    }

    @POST
    @Path("bulk")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response bulk(@BeanParam ChangeRequest change, @BeanParam FilterParams params, @FormParam("action") String action,
                         @FormParam("beforeId") String beforeId) {
        change.authorize(access);
        Bulk bulk = Bulk.of(action);
        JobFilterForm form = params.form();
        if (form.isEmpty()) {
            throw new IllegalArgumentException("A bulk " + bulk.name + " needs a filter (state, queue, handler, error, since or until).");
        }
        JobFilter filter = form.toFilter(1).withBeforeId(beforeId == null || beforeId.isBlank() ? null : parseId(beforeId, "beforeId"));
        long changed = bulk == Bulk.RETRY ? queue.admin().retry(filter, n -> {}) : queue.admin().discard(filter, n -> {});
        return seeOther("/jobs" + form.query("done", bulk.done, "n", Long.toString(changed)));
    }

    @POST
    @Path("{id}/retry")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response retry(@PathParam("id") String id, @BeanParam ChangeRequest change) {
        return changeOne(id, change, Bulk.RETRY);
    }

    @POST
    @Path("{id}/discard")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response discard(@PathParam("id") String id, @BeanParam ChangeRequest change) {
        return changeOne(id, change, Bulk.DISCARD);
    }

    private Response changeOne(String id, ChangeRequest change, Bulk action) {
        change.authorize(access);
        long jobId = parseId(id, "job id");
        List<Long> changed = action == Bulk.RETRY ? queue.admin().retry(List.of(jobId)) : queue.admin().discard(List.of(jobId));
        return seeOther("/jobs/" + jobId + "?done=" + action.done + "&n=" + changed.size());
    }

    private enum Bulk {
        RETRY("retry", "Retry", "retried"),
        DISCARD("discard", "Discard", "discarded");

        final String name;
        final String verb;
        final String done;

        Bulk(String name, String verb, String done) {
            this.name = name;
            this.verb = verb;
            this.done = done;
        }

        static Bulk of(String action) {
            for (Bulk b : values()) {
                if (b.name.equals(action)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("action must be retry or discard, got '" + action + "'");
        }
    }

    /** The filter from the query string: of a listing, a confirmation, and the change it confirms. */
    public static class FilterParams {
        @QueryParam("state") String state;
        @QueryParam("queue") String queue;
        @QueryParam("handler") String handler;
        @QueryParam("error") String error;
        @QueryParam("since") String since;
        @QueryParam("until") String until;

        JobFilterForm form() {
            return new JobFilterForm(state, queue, handler, error, since, until);
        }
    }

    static long parseId(String text, String field) {
        try {
            long id = Long.parseLong(text.trim());
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(field + " must be a job id (a whole number from 1), got '" + text + "'");
    }

    /**
     * A 303 to a path of this site, as a relative Location: built by {@code Response.seeOther} it would be made absolute
     * with the request's own scheme, http behind a TLS-terminating Ingress.
     */
    static Response seeOther(String path) {
        return Response.status(Response.Status.SEE_OTHER).header(jakarta.ws.rs.core.HttpHeaders.LOCATION, path).build();
    }

    private static JobRow row(JobView j, Instant now) {
        Instant when = j.finishedAt() != null ? j.finishedAt() : j.createdAt();
        String error = "";
        String detail = "";
        if (j.lastError() != null) {
            JobView.JobError e = j.lastError();
            error = e.errorClass();
            detail = e.reason() != null
                    ? e.reason() + (e.pod() == null ? "" : " · pod " + e.pod()) + (e.node() == null ? "" : " · node " + e.node())
                    : Format.shorten(e.message(), 120);
        }
        return new JobRow(j.id(), j.state().dbName(), j.queue(), j.handler(), j.attempts() + "/" + j.maxAttempts(), j.prunes(), error, detail,
                (j.finishedAt() != null ? "finished " : "created ") + Format.ago(when, now), Format.time(when));
    }

    private static JobDetail detail(JobView j, Instant now) {
        List<ErrorRow> errors = new ArrayList<>();
        JsonNode history = Format.json(j.errors());
        for (int i = history.size() - 1; i >= 0; i--) {
            JsonNode e = history.get(i);
            boolean pruned = "ProcessPrunedError".equals(text(e, "class"));
            Instant at = instant(e, "at");
            Instant prunedAt = instant(e, "prunedAt");
            Instant heartbeat = instant(e, "lastHeartbeatAt");
            String silentFor = heartbeat == null ? "" : Format.duration(Duration.between(heartbeat, prunedAt != null ? prunedAt : at != null ? at : now));
            errors.add(new ErrorRow(i + 1, Format.time(at), e.hasNonNull("attempt") ? e.get("attempt").asInt() : null, text(e, "class"),
                    text(e, "message"), pruned, text(e, "reason"), text(e, "pool"), text(e, "pod"), text(e, "node"), text(e, "host"),
                    text(e, "pid"), text(e, "exitCode"), text(e, "signal"), Format.time(heartbeat), silentFor));
        }
        String concurrency = j.concurrencyKey() == null ? "" : j.concurrencyKey() + " (at most " + j.concurrencyLimit() + " at once)";
        return new JobDetail(j.id(), j.state().dbName(), j.queue(), j.handler(), j.priority(), j.attempts() + " of " + j.maxAttempts(), j.prunes(),
                j.uniqueKey() == null ? "" : j.uniqueKey(), concurrency, j.claimedBy() == null ? "" : "process " + j.claimedBy(),
                when(j.runAt(), now), when(j.createdAt(), now), when(j.claimedAt(), now), when(j.finishedAt(), now),
                Format.prettyJson(j.args()), Format.prettyJson(j.checkpoint()), errors, QueueAdmin.RETRYABLE.contains(j.state()),
                QueueAdmin.DISCARDABLE.contains(j.state()));
    }

    private static String when(Instant t, Instant now) {
        return t == null ? "" : Format.time(t) + " (" + Format.ago(t, now) + ")";
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    private static Instant instant(JsonNode node, String field) {
        String v = text(node, field);
        if (v.isEmpty()) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(v).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
