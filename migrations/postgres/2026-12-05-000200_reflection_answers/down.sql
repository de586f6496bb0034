DROP TABLE reflection_answers;
