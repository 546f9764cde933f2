package com.example.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.queue.JobContext;
import dev.stevedore.queue.PermanentJobFailure;
import dev.stevedore.worker.StevedoreHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * A handler of your own: a CDI bean implementing StevedoreHandler. The worker finds it at start and runs
 * jobs enqueued with handler "monthly-report", e.g.
 * {@code stevedore enqueue --queue reports --handler monthly-report --args '{"month": "2026-11", "pages": 12}'}.
 * It saves a checkpoint per page, so a retried run resumes where the last one stopped.
 */
@ApplicationScoped
public class MonthlyReportHandler implements StevedoreHandler {

    @Inject
    ObjectMapper json;

    @Override
    public String name() {
        return "monthly-report";
    }

    @Override
    public void handle(JobContext job) throws Exception {
        JsonNode args = json.readTree(job.args());
        String month = args.path("month").asText("");
        if (!month.matches("\\d{4}-\\d{2}")) {
            throw new PermanentJobFailure("args.month must look like 2026-11, got '" + month + "'");
        }
        int pages = args.path("pages").asInt(1);
        int done = job.checkpoint().map(c -> readPage(c)).orElse(0);
        for (int page = done + 1; page <= pages; page++) {
            renderPage(month, page);
            job.saveCheckpoint("{\"page\": " + page + "}");
        }
    }

    private int readPage(String checkpoint) {
        try {
            return json.readTree(checkpoint).path("page").asInt(0);
        } catch (Exception e) {
            return 0;
        }
    }

    private void renderPage(String month, int page) {
        // Real work goes here.
    }
}
