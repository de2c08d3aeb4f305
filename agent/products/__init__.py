"""What the agent makes for people: the live demo, comparison images, workflow stages and reports."""
