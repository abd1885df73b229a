"""A member's turn in the chat: between the WeChat edge and the domain slices."""
