package dev.stevedore.dashboard;

import io.quarkus.qute.TemplateData;

/**
 * What every page shows around its content: where it is, which database, who is signed in (and the CSRF token their
 * forms carry), a notice from the last change, and how often it refreshes itself.
 */
@TemplateData
public record Page(String title, String active, String database, boolean changesEnabled, boolean signedIn, String csrf, String notice,
                   long refreshSeconds, String here, String generatedAt) {

    /** The sign-in link, coming back to this page afterwards. */
    public String signInLink() {
        return "/login?next=" + java.net.URLEncoder.encode(here, java.nio.charset.StandardCharsets.UTF_8);
    }

    public boolean canChange() {
        return changesEnabled && signedIn;
    }
}
