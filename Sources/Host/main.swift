import Native
print("mashup \(Engine.version)")
