"""What the merge methods are made of: the declaration types (`spec`), parameters several
methods share (`common_params`), what the math receives (`group`), working memory
(`scratch`) and the task-arithmetic family's builder and math (`gta`, `sparsify`).

merge_core/methods/ holds the methods themselves, one module each. Nothing here imports
torch at module level: the checker reads every declaration.
"""
