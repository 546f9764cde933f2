package dev.stevedore.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.queue.ChildProcess;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.Pruner;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard as a person uses it: the packaged application as a process, on a real PostgreSQL holding jobs in every
 * state (the pruned ones held by worker JVMs killed with SIGKILL, then pruned with the cause the operator records), in
 * Debian's headless Chromium. The pages render what the database holds, the filters filter, a retry by filter retries
 * exactly the matching jobs, a change without sign-in is refused, and the open page updates itself.
 */
@ExtendWith(PostgresExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserIT {

    private static final String TOKEN = "dashboard-it-" + UUID.randomUUID();
    private static final String DB_PASSWORD = "pw-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestDatabase db;
    private static DataSource dataSource;
    private static QueueAdmin admin;
    private static JobClient client;
    private static Worker mailWorker;
    private static final List<ChildProcess> children = new ArrayList<>();
    private static ChildProcess liveChild;
    private static DashboardProcess dashboard;
    private static Browser browser;
    private static List<Long> prunedIds;
    private static List<Long> failedByHandlerIds;

    @BeforeAll
    static void aQueueWithJobsInEveryStateAndTheDashboard(TestDatabase database) throws Exception {
        db = database;
        dataSource = db.dataSource();
        QueueMigrator.migrate(dataSource, QueueSchema.DEFAULT);
        admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        client = new JobClient(dataSource, QueueSchema.DEFAULT);

        // Completed and failed by a real worker: "send" succeeds, "render" throws and has one attempt.
        mailWorker = Worker.start(dataSource, QueueSchema.DEFAULT, WorkerConfig.builder(ProcessIdentity.local("default/mail"))
                .queues(List.of("mail")).threads(4).heartbeatInterval(Duration.ofMillis(500)).aliveThreshold(Duration.ofSeconds(5)).build(),
                HandlerRegistry.builder().register("send", job -> {})
                        .register("render", job -> {
                            throw new IllegalStateException("template 'invoice' not found");
                        }).build(), QueueListener.NONE);
        for (int i = 0; i < 12; i++) {
            client.enqueue(NewJob.of("mail", "send").args("{\"to\": \"user" + i + "@example.com\"}").build());
        }
        for (int i = 0; i < 4; i++) {
            client.enqueue(NewJob.of("mail", "render").args("{\"invoice\": " + (1000 + i) + "}").maxAttempts(1).build());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> count(JobState.COMPLETED) == 12 && count(JobState.FAILED) == 4);
        failedByHandlerIds = ids(JobFilter.all().withStates(Set.of(JobState.FAILED)));

        // Waiting: available in a queue no worker serves, scheduled for tomorrow, two discarded.
        for (int i = 0; i < 5; i++) {
            client.enqueue(NewJob.of("reports", "build").args("{\"month\": " + (i + 1) + "}").build());
        }
        client.enqueue(NewJob.of("reports", "build").runAt(Instant.now().plus(Duration.ofDays(1))).build());
        List<Long> toDiscard = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            toDiscard.add(client.enqueue(NewJob.of("reports", "obsolete").build()).getAsLong());
        }
        admin.discard(toDiscard);

        // Pruned: two worker JVMs claim jobs and are killed with SIGKILL; the prune records what the operator saw.
        ChildProcess oomed = start("default/etl", "etl");
        ChildProcess lost = start("default/video", "video");
        liveChild = start("default/live", "live");
        List<NewJob> held = new ArrayList<>();
        held.add(NewJob.of("etl", "sleep").args("{\"table\": \"orders\"}").maxAttempts(3).build());
        held.add(NewJob.of("etl", "sleep").args("{\"table\": \"users\"}").maxAttempts(3).build());
        held.add(NewJob.of("video", "sleep").args("{\"file\": \"intro.mp4\"}").maxAttempts(3).build());
        held.add(NewJob.of("live", "sleep").build());
        client.enqueueAll(held);
        await().atMost(Duration.ofSeconds(30)).until(() -> count(JobState.RUNNING) == 4);
        assertThat(oomed.signal("KILL")).isEqualTo(137);
        assertThat(lost.signal("KILL")).isEqualTo(137);
        Pruner pruner = new Pruner(dataSource, QueueSchema.DEFAULT);
        pruner.prune(List.of(new Pruner.Request(oomed.processId,
                new Pruner.Cause("OOMKilled", null, "etl-7d9f5-x2kq", "node-a", 137, "SIGKILL"))));
        pruner.prune(List.of(new Pruner.Request(lost.processId, new Pruner.Cause("NodeLost", null, "video-5c6d-p8", "node-b", null, null))));
        prunedIds = ids(JobFilter.all().withErrorClass("ProcessPrunedError"));
        assertThat(prunedIds).hasSize(3);

        Map<String, String> env = new HashMap<>();
        env.put("STEVEDORE_DB_URL", db.jdbcUrl());
        env.put("STEVEDORE_DB_USER", db.user());
        env.put("STEVEDORE_DB_PASSWORD", DB_PASSWORD); // the test server trusts loopback: any password passes
        env.put("STEVEDORE_DASHBOARD_TOKEN", TOKEN);
        env.put("STEVEDORE_DASHBOARD_REFRESH", "1s");
        dashboard = DashboardProcess.start("browser", env).awaitReady();
        browser = Browser.start();
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (dashboard != null) {
            dashboard.close();
        }
        children.forEach(ChildProcess::close);
        if (mailWorker != null) {
            mailWorker.stop();
        }
    }

    private static ChildProcess start(String pool, String queue) throws Exception {
        ChildProcess child = ChildProcess.start(db, pool, queue, Map.of());
        children.add(child);
        return child;
    }

    private static long count(JobState state) {
        return admin.stats().jobs().get(state);
    }

    private static List<Long> ids(JobFilter filter) {
        return admin.list(filter.withLimit(1000)).stream().map(JobView::id).sorted().toList();
    }

    private void open(String path) {
        browser.driver.get(dashboard.url(path));
    }

    private String text(String id) {
        return textOf(By.id(id));
    }

    /** The element's text; read again if the page's live update replaced the element meanwhile. */
    private String textOf(By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                return browser.driver.findElement(by).getText();
            } catch (StaleElementReferenceException replaced) {
                if (attempt == 5) {
                    throw replaced;
                }
            }
        }
    }

    private List<Long> listedIds() {
        return attributes("#jobs tbody tr", "data-job").stream().map(Long::parseLong).sorted().toList();
    }

    /** An attribute of every element a selector finds, read in one script, so a live update cannot come in between. */
    @SuppressWarnings("unchecked")
    private List<String> attributes(String selector, String attribute) {
        return (List<String>) browser.driver.executeScript(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.getAttribute(arguments[1]));", selector, attribute);
    }

    @Test
    @Order(1)
    void theOverviewShowsWhatTheDatabaseHolds() throws Exception {
        open("/");
        Map<JobState, Long> counts = admin.stats().jobs();
        for (JobState state : JobState.values()) {
            assertThat(textOf(By.cssSelector("#count-" + state.dbName() + " .value")))
                    .as(state.dbName()).isEqualTo(Long.toString(counts.get(state)));
        }
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isPositive());
        assertThat(text("count-processes")).contains("2 / 2"); // the in-process worker and the live child; the killed pair were pruned
        assertThat(textOf(By.cssSelector("#queues tr[data-queue='reports']"))).startsWith("reports 5 ");
        assertThat(textOf(By.cssSelector("#queues tr[data-queue='mail']"))).matches("mail 0 .*\\d+ (ms|s).*");
        assertThat(browser.driver.findElements(By.cssSelector("svg.chart g"))).hasSize(60);
        assertThat(text("pools")).contains("default/mail", "default/live");
        browser.screenshot("overview");
    }

    @Test
    @Order(2)
    void aPrunedJobsPageShowsWhyItsWorkerDied() throws Exception {
        long etlJob = admin.list(JobFilter.all().withQueue("etl").withLimit(1)).get(0).id();
        open("/jobs/" + etlJob);
        assertThat(text("job-state")).isEqualTo("failed");
        assertThat(text("job-args")).contains("\"table\"");
        assertThat(text("job-prunes")).isEqualTo("1");
        assertThat(textOf(By.cssSelector("#job-errors .cause"))).contains("OOMKilled", "default/etl", "etl-7d9f5-x2kq", "node-a", "137 (SIGKILL)", "before the prune");
        assertThat(browser.driver.findElements(By.id("retry-job"))).as("no retry button without sign-in").isEmpty();
        browser.screenshot("job");

        open("/prunes");
        assertThat(text("prune-total")).startsWith("3 jobs pruned");
        assertThat(text("by-reason")).contains("OOMKilled 2", "NodeLost 1");
        assertThat(text("by-node")).contains("node-a 2", "node-b 1");
        assertThat(text("by-pool")).contains("default/etl 2", "default/video 1");
        assertThat(attributes("#recent-prunes tbody tr", "data-job").stream().map(Long::parseLong).sorted().toList()).isEqualTo(prunedIds);
        browser.screenshot("prunes");

        open("/processes");
        assertThat(textOf(By.cssSelector("tr[data-process='" + liveChild.processId + "']"))).contains("live", "alive");
        browser.screenshot("processes");
    }

    @Test
    @Order(3)
    void theFiltersFilter() throws Exception {
        open("/jobs");
        new Select(browser.driver.findElement(By.id("filter-state"))).selectByValue("failed");
        browser.driver.findElement(By.id("apply-filter")).click();
        assertThat(listedIds()).isEqualTo(ids(JobFilter.all().withStates(Set.of(JobState.FAILED))));
        assertThat(attributes("#jobs tbody tr", "data-state")).containsOnly("failed");

        browser.driver.findElement(By.id("filter-error")).sendKeys("ProcessPrunedError");
        browser.driver.findElement(By.id("apply-filter")).click();
        assertThat(listedIds()).isEqualTo(prunedIds);
        browser.screenshot("jobs");

        open("/jobs?queue=reports&handler=build");
        assertThat(listedIds()).isEqualTo(ids(JobFilter.all().withQueue("reports").withHandler("build"))).hasSize(6);
        open("/jobs?state=failed&since=1h");
        assertThat(listedIds()).isEqualTo(ids(JobFilter.all().withStates(Set.of(JobState.FAILED)))).hasSize(7);
        open("/jobs?state=failed&until=1h");
        assertThat(browser.driver.findElements(By.id("no-jobs"))).hasSize(1);
        open("/jobs?since=yesterday");
        assertThat(text("filter-problem")).contains("since must be an ISO-8601 time", "yesterday");
    }

    @Test
    @Order(4)
    void aChangeWithoutSignInIsRefused() throws Exception {
        long failed = failedByHandlerIds.get(0);
        HttpResponse<String> anonymous = post("/jobs/" + failed + "/retry", "", Map.of());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("Sign in to retry or discard jobs");
        HttpResponse<String> bulk = post("/jobs/bulk", "action=retry&state=failed", Map.of());
        assertThat(bulk.statusCode()).isEqualTo(401);
        assertThat(post("/jobs/" + failed + "/discard", "", Map.of("Authorization", "Bearer not-the-token")).statusCode()).isEqualTo(401);

        // A session cookie alone is not enough: the form must carry that session's CSRF token, from this origin.
        HttpResponse<String> signedIn = post("/login", "token=" + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8) + "&next=/", Map.of());
        assertThat(signedIn.statusCode()).isEqualTo(303);
        String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertThat(signedIn.headers().firstValue("Set-Cookie").orElseThrow()).contains("HttpOnly", "SameSite=Strict");
        // Relative, so that behind a TLS-terminating Ingress the browser stays on https.
        assertThat(signedIn.headers().firstValue("Location")).hasValue("/?done=signed-in");
        assertThat(post("/jobs/" + failed + "/retry", "", Map.of("Cookie", cookie)).statusCode()).isEqualTo(403);
        assertThat(post("/jobs/" + failed + "/retry", "_csrf=forged", Map.of("Cookie", cookie)).statusCode()).isEqualTo(403);
        HttpResponse<String> wrongToken = post("/login", "token=wrong-token-of-some-length&next=/", Map.of());
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(wrongToken.headers().firstValue("Set-Cookie")).isEmpty();

        assertThat(admin.show(failed).orElseThrow().state()).isEqualTo(JobState.FAILED);
        assertThat(ids(JobFilter.all().withStates(Set.of(JobState.FAILED)))).hasSize(7);

        open("/jobs?state=failed");
        assertThat(browser.driver.findElements(By.id("retry-matching"))).isEmpty();
        assertThat(textOf(By.cssSelector(".actions"))).contains("Sign in to retry or discard");
    }

    @Test
    @Order(5)
    void aRetryByFilterRetriesExactlyTheMatchingJobs() throws Exception {
        open("/jobs?state=failed&error=ProcessPrunedError");
        browser.driver.findElement(By.linkText("Sign in")).click();
        browser.driver.findElement(By.id("token")).sendKeys(TOKEN);
        browser.driver.findElement(By.id("sign-in-button")).click();
        assertThat(browser.driver.findElement(By.cssSelector(".notice")).getText()).contains("Signed in");
        assertThat(browser.driver.getCurrentUrl()).contains("/jobs?state=failed&error=ProcessPrunedError");

        browser.driver.findElement(By.id("retry-matching")).click();
        long matching = admin.countRetryable(JobFilter.all().withStates(Set.of(JobState.FAILED)).withErrorClass("ProcessPrunedError"));
        assertThat(matching).isEqualTo(prunedIds.size());
        assertThat(text("confirm-count")).isEqualTo("Retry " + matching + " jobs?");
        browser.screenshot("confirm-retry");
        // Jobs that match only after the confirmation was made are not among those it counted, and stay failed: a new job
        // that fails, and an older one whose worker dies now (SIGKILL, then the prune the operator would make).
        long lateFailure = client.enqueue(NewJob.of("mail", "render").maxAttempts(1).build()).getAsLong();
        await().until(() -> admin.show(lateFailure).orElseThrow().state() == JobState.FAILED);
        long livePruned = ids(JobFilter.all().withQueue("live")).get(0);
        assertThat(liveChild.signal("KILL")).isEqualTo(137);
        new Pruner(dataSource, QueueSchema.DEFAULT).prune(List.of(new Pruner.Request(liveChild.processId,
                new Pruner.Cause("PodDeleted", null, "live-6b8c-z9", "node-a", 137, "SIGKILL"))));
        await().until(() -> admin.show(livePruned).orElseThrow().state() == JobState.FAILED);
        assertThat(admin.show(livePruned).orElseThrow().lastError().errorClass()).isEqualTo("ProcessPrunedError");
        browser.driver.findElement(By.id("confirm-button")).click();

        assertThat(browser.driver.findElement(By.cssSelector(".notice")).getText()).isEqualTo("Retried " + matching + " jobs: they are available to run now.");
        for (long id : prunedIds) {
            assertThat(admin.show(id).orElseThrow().state()).as("job " + id).isEqualTo(JobState.AVAILABLE);
        }
        for (long id : failedByHandlerIds) {
            assertThat(admin.show(id).orElseThrow().state()).as("job " + id).isEqualTo(JobState.FAILED);
        }
        assertThat(admin.show(lateFailure).orElseThrow().state()).isEqualTo(JobState.FAILED);
        assertThat(admin.show(livePruned).orElseThrow().state()).as("pruned after the confirmation").isEqualTo(JobState.FAILED);

        // One job, from its page: the retried job runs again in the worker and fails again, adding to its history.
        long single = failedByHandlerIds.get(0);
        open("/jobs/" + single);
        browser.driver.findElement(By.id("retry-job")).click();
        assertThat(browser.driver.findElement(By.cssSelector(".notice")).getText()).startsWith("Retried 1 job");
        await().until(() -> admin.show(single).orElseThrow().attempts() == 2 && admin.show(single).orElseThrow().state() == JobState.FAILED);

        // Discarding one job asks first; dismissed, nothing happens, accepted, it is discarded.
        long waiting = ids(JobFilter.all().withQueue("reports").withStates(Set.of(JobState.AVAILABLE))).get(0);
        open("/jobs/" + waiting);
        browser.driver.findElement(By.id("discard-job")).click();
        assertThat(browser.driver.switchTo().alert().getText()).contains("Discard job " + waiting);
        browser.driver.switchTo().alert().dismiss();
        assertThat(admin.show(waiting).orElseThrow().state()).isEqualTo(JobState.AVAILABLE);
        browser.driver.findElement(By.id("discard-job")).click();
        browser.driver.switchTo().alert().accept();
        assertThat(browser.driver.findElement(By.cssSelector(".notice")).getText()).isEqualTo("Discarded 1 job.");
        assertThat(admin.show(waiting).orElseThrow().state()).isEqualTo(JobState.DISCARDED);
    }

    @Test
    @Order(6)
    void theOpenPageUpdatesItselfWithoutAReload() {
        open("/");
        browser.driver.executeScript("window.stillTheSamePage = true;");
        long before = count(JobState.AVAILABLE);
        assertThat(textOf(By.cssSelector("#count-available .value"))).isEqualTo(Long.toString(before));
        client.enqueueAll(List.of(NewJob.of("reports", "build").build(), NewJob.of("reports", "build").build(), NewJob.of("reports", "build").build()));
        await().atMost(Duration.ofSeconds(15)).until(() -> textOf(By.cssSelector("#count-available .value")).equals(Long.toString(before + 3)));
        assertThat(browser.driver.executeScript("return window.stillTheSamePage === true")).isEqualTo(true);
        assertThat(text("refresh-status")).startsWith("updated");
    }

    @Test
    @Order(7)
    void noPageAndNoLogLineShowsTheDatabasePasswordOrTheToken() throws Exception {
        List<String> pages = List.of("/", "/jobs", "/jobs?state=failed", "/jobs/" + prunedIds.get(0), "/prunes?window=7d", "/processes", "/login",
                "/jobs/confirm?action=discard&queue=reports", "/jobs/0", "/jobs?since=nope");
        for (String page : pages) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(dashboard.url(page))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).as(page).doesNotContain(DB_PASSWORD).doesNotContain(TOKEN);
            assertThat(response.headers().firstValue("Content-Security-Policy")).as(page).isPresent();
        }
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(dashboard.url("/q/health/ready"))).build(), HttpResponse.BodyHandlers.ofString()).body())
                .contains("UP").doesNotContain(DB_PASSWORD);
        assertThat(dashboard.logText()).contains("stevedore-dashboard: DashboardSettings[").doesNotContain(DB_PASSWORD).doesNotContain(TOKEN);
    }

    private HttpResponse<String> post(String path, String form, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(dashboard.url(path))).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
