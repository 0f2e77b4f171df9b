"""Why a record can't be mapped, in a sentence the sender can act on."""


class MappingError(ValueError):
    """The record can't become a QBO/Procore record as it is; `.sentence` says what to change."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence
