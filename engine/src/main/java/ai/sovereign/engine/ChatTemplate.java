package ai.sovereign.engine;

import java.util.List;
import java.util.Locale;

/**
 * Turns a conversation into prompt text. The server renders a model's own Jinja
 * {@code tokenizer.chat_template}; these built-in formats are the fallback when a model has none or
 * it cannot be rendered, chosen as llama.cpp does: by markers in the template text, then by
 * architecture. The rendered text holds special tokens as text; encode it with {@code parseSpecial}.
 */
public enum ChatTemplate {
    CHATML {
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder b = new StringBuilder();
            for (Message m : messages) {
                b.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
            }
            if (addGenerationPrompt) {
                b.append("<|im_start|>assistant\n");
            }
            return b.toString();
        }
    },
    LLAMA3 {
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder b = new StringBuilder();
            for (Message m : messages) {
                b.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                        .append(m.content().strip()).append("<|eot_id|>");
            }
            if (addGenerationPrompt) {
                b.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            return b.toString();
        }
    },
    LLAMA2 {
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder b = new StringBuilder();
            String system = null;
            boolean open = false;
            for (Message m : messages) {
                switch (m.role()) {
                    case "system" -> system = m.content().strip();
                    case "assistant" -> {
                        b.append(' ').append(m.content().strip()).append(" </s>");
                        open = false;
                    }
                    default -> {
                        b.append(open ? "" : (b.isEmpty() ? "" : "<s>")).append("[INST] ");
                        if (system != null) {
                            b.append("<<SYS>>\n").append(system).append("\n<</SYS>>\n\n");
                            system = null;
                        }
                        b.append(m.content().strip()).append(" [/INST]");
                        open = true;
                    }
                }
            }
            return b.toString();
        }
    },
    EXAONE3 {
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder b = new StringBuilder();
            for (Message m : messages) {
                switch (m.role()) {
                    case "system" -> b.append("[|system|]").append(m.content().strip()).append("[|endofturn|]\n");
                    case "assistant" -> b.append("[|assistant|]").append(m.content().strip()).append("[|endofturn|]\n");
                    default -> b.append("[|user|]").append(m.content().strip()).append('\n');
                }
            }
            if (addGenerationPrompt) {
                b.append("[|assistant|]");
            }
            return b.toString();
        }
    },
    /** For base models without a chat format (e.g. stories): the turns as plain paragraphs. */
    PLAIN {
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder b = new StringBuilder();
            for (Message m : messages) {
                if (!b.isEmpty()) {
                    b.append("\n\n");
                }
                b.append(m.content().strip());
            }
            return b.toString();
        }
    };

    /** One turn; role is system, user, assistant or tool. */
    public record Message(String role, String content) {}

    public abstract String render(List<Message> messages, boolean addGenerationPrompt);

    /** The built-in format that best matches a model: its template's markers first, then its architecture. */
    public static ChatTemplate detect(GgufMetadata metadata, Tokenizer tokenizer) {
        String template = metadata.string("tokenizer.chat_template").orElse("");
        if (template.contains("<|im_start|>")) {
            return CHATML;
        }
        if (template.contains("<|start_header_id|>")) {
            return LLAMA3;
        }
        if (template.contains("[|system|]") || template.contains("[|endofturn|]")) {
            return EXAONE3;
        }
        if (template.contains("[INST]")) {
            return LLAMA2;
        }
        String arch = metadata.string("general.architecture").orElse("").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "qwen2", "qwen3" -> CHATML;
            case "exaone" -> EXAONE3;
            default -> hasToken(tokenizer, "<|start_header_id|>") ? LLAMA3
                    : hasToken(tokenizer, "<|im_start|>") ? CHATML
                    : hasToken(tokenizer, "[INST]") ? LLAMA2 : PLAIN;
        };
    }

    private static boolean hasToken(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text, false, true);
        return ids.length == 1 && tokenizer.isControl(ids[0]);
    }
}
