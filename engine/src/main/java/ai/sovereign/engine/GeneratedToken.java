package ai.sovereign.engine;

import java.util.List;

/**
 * One generated token: its id, the text it completes (may be empty while a UTF-8 sequence or a
 * possible stop string is still open, and may carry text held back from earlier tokens), and, when
 * asked for, its log-probability and the most likely alternatives. Id -1 marks the last call of a
 * generation, releasing text that was held back; it adds no token.
 */
public record GeneratedToken(int id, String text, double logprob, List<Alternative> alternatives) {

    public record Alternative(int id, String token, double logprob) {}
}
