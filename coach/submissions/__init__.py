"""Forms that create rows are saved exactly once: a repeat of the same submission key
(a double tap, a response lost after the server wrote, an offline queue sending again)
gives the first answer instead of a second row."""
