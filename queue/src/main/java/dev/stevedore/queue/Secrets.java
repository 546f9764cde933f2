package dev.stevedore.queue;

import java.util.regex.Pattern;

/**
 * Keeps database credentials out of logs, status, events and output. A CloudNativePG {@code jdbc-uri}
 * carries {@code password=} in its query string, and drivers and pools quote the URL in their error
 * messages, so every text that may hold a URL passes through {@link #mask} before anyone sees it.
 */
public final class Secrets {

    static final String MASK = "***";

    // password=, sslpassword=, and any other parameter ending in "password", up to the next separator.
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)([?&;\\s]?[a-z_]*password=)[^&;\\s'\"]*");
    // user:password@host in a URL's authority.
    private static final Pattern USER_INFO = Pattern.compile("(//[^/:@\\s'\"]+:)[^/@\\s'\"]*@");

    private Secrets() {}

    /** The text with every password parameter and URL user-info password replaced by {@value #MASK}. */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        String masked = PASSWORD_PARAMETER.matcher(text).replaceAll("$1" + MASK);
        return USER_INFO.matcher(masked).replaceAll("$1" + MASK + "@");
    }

    /** As {@link #mask(String)}, also replacing a known password wherever it appears verbatim. */
    public static String mask(String text, String password) {
        String masked = mask(text);
        if (masked == null || password == null || password.length() < 4) {
            return masked; // a very short password would mask ordinary words; the patterns still apply
        }
        return masked.replace(password, MASK);
    }
}
