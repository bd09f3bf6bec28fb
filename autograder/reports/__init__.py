"""What grading writes: the gradebook, Gradescope results, student feedback, the terminal table."""
