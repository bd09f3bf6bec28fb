"""The honour code's report: which students' code, task by task, is more alike than independent
work explains, and whose failed tests returned the same wrong numbers. A report for a human to
read, never a verdict; scores never change (see the README's "Similarity").

Student code is read as text and results as data: nothing of a submission is imported or run."""

from autograder.similarity.engine import compare
from autograder.similarity.output import similar_to, similarity_csv, similarity_json
from autograder.similarity.report import Fragment, PairScore, SimilarityReport, Snippet

__all__ = ["Fragment", "PairScore", "SimilarityReport", "Snippet", "compare", "similar_to",
           "similarity_csv", "similarity_json"]
