package ai.sovereign.server;

/** A request's {@code tool_choice}: none, auto, required, or one named function. */
record ToolChoice(Mode mode, String function) {
    enum Mode { NONE, AUTO, REQUIRED, FUNCTION }

    static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    /** Whether the model must call a tool (required or a named function). */
    boolean forced() {
        return mode == Mode.REQUIRED || mode == Mode.FUNCTION;
    }
}
